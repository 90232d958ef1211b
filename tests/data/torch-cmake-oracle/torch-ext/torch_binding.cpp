// Never compiled (tests/e2e/torch_cmake_oracle.sh only compares command lines).
#include "oracle.h"
