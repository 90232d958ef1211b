// The kb executable: everything lives in the library; main only hands over argv.
#include "src/cli/cli.h"

int main(int argc, char** argv) { return kb::cli_main(argc, argv); }
