#include "src/cli.h"

#include <cstdio>

namespace kb {

int cli_main(int, char**) {
  std::fprintf(stderr, "kb: no commands yet\n");
  return 2;
}

}  // namespace kb
