#pragma once
// The command-line front end: the only place that prints errors and picks exit codes.

namespace kb {

// Parses argv, runs one command, prints its result; returns the process exit code
// (0 success, 1 failure, 2 usage error, 130 interrupted).
int cli_main(int argc, char** argv);

}  // namespace kb
