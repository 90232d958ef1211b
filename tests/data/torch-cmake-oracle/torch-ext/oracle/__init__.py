# The oracle kernel's Python package (tests/e2e/torch_cmake_oracle.sh never loads it).
