#pragma once
// nvcc's own compilation steps, run as a graph instead of one after another (docs/performance.md,
// "The critical TU"). Pure: text in, a schedule out; src/nvcc_overlap.cc runs it.
//
// nvcc compiles a .cu in two chains that share one input: the host chain (preprocess, then
// cudafe++ splitting out the host code) and one device chain per arch (preprocess, cicc,
// ptxas), then fatbinary and the host compile that embeds its output. The chains only meet in
// the module id, which cudafe++ writes and cicc reads; nvcc itself runs every step in turn
// (--threads only overlaps the device chains of several archs). With the module id written
// before the steps start, the host chain and the device chains run at the same time, and a
// single-arch TU that is all front end (Torch headers) finishes sooner with nothing changed in
// what is compiled: the same tools with the same arguments.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kb/error.h"

namespace kb {

// One step of nvcc's trajectory: a shell command line as `nvcc -dryrun` prints it.
struct NvccStep {
  std::string command;
  std::vector<size_t> after;  // indexes of the steps that must end before this one starts
};

// nvcc's steps for one compile, with what must be set up before they run.
struct NvccSchedule {
  // The variables nvcc sets for its steps (TOP, PATH, CICC_PATH, ...), as it prints them
  // before the steps: NAME=VALUE, the value the rest of the line (nvcc's syntax, not the
  // shell's: `SYSTEM_INCLUDES="-isystem" "/x"` is one value). Each step runs with them in its
  // environment; the steps name them as "$CICC_PATH".
  std::vector<std::pair<std::string, std::string>> variables;
  std::vector<NvccStep> steps;
  std::string module_id_file;  // written with `module_id` before the steps start
  std::string module_id;
  // The dependency files the preprocessing steps write (below keep_dir), all for the object;
  // together, in order, they are the compile's depfile. Empty when the call asked for none.
  std::vector<std::string> depfile_parts;
};

// The parts of an nvcc command line the runner handles itself.
struct NvccCall {
  std::vector<std::string> argv;  // the command without -MD / -MF FILE (what is dry-run)
  std::string depfile;            // -MF's value; "" when the command asked for none
  std::string object;             // -o's value
  std::string source;             // the .cu (the argument after -c)
  int threads = 1;                // --threads (0: as many as CPUs, taken as 0 here)
};

// Splits an nvcc command line. Fails when it has no -c SOURCE or no -o OBJECT, or names a
// dependency file without -MD (a form kb never writes).
Result<NvccCall> parse_nvcc_call(const std::vector<std::string>& argv);

// The arguments to add to the dry run so that every intermediate file is named inside
// `keep_dir` (an absolute directory the runner owns): {"-keep", "--keep-dir", keep_dir,
// "-dryrun"}.
std::vector<std::string> nvcc_dryrun_args(const std::string& keep_dir);

// A module id for `object` compiled from `source`, in nvcc's own shape: "_" + 16 hex digits
// of a hash of the object path, "_", the length and the file name with every other character
// than [A-Za-z0-9] made '_' ("_0f3a..._13_huber_cuda_cu"); it appears in the names of
// internal-linkage entities (_GLOBAL__N__<id>). Unique per object, the same on every run.
std::string nvcc_module_id(std::string_view source, std::string_view object);

// Reads the dry run's output (`#$ ` lines on stderr) and returns the steps in nvcc's order,
// each to start once the steps writing the intermediate files it names have ended; the
// last step (the host compile, which #includes files it does not name) and any step naming
// no intermediate file wait for every step before them. cudafe++ is given the module id
// instead of generating it. When call.depfile is set, every preprocessing step (`-E`: the
// host one and one per arch) also writes a dependency file for the object (-MD -MF PART -MT
// OBJECT), listed in depfile_parts. Fails, so that the caller runs nvcc as it is, when the
// output is not a trajectory this function understands: no steps, a step nvcc runs itself
// ("-- Filter Dependencies --"), no cudafe++ generating a module id inside keep_dir, no
// preprocessing step when a depfile is wanted, or a keep_dir or source file name holding a
// space, quote, comma, semicolon or tab (where intermediate paths could not be told apart).
Result<NvccSchedule> schedule_nvcc_steps(std::string_view dryrun_output, const NvccCall& call,
                                         const std::string& keep_dir);

}  // namespace kb
