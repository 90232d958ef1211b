#pragma once
// What the user sees while a command runs: findings (warnings, notes, errors that do not
// stop the command) and progress lines. The pipeline reports through it; the CLI prints.

#include <string_view>

#include "kb/error.h"

namespace kb {

// The user's view of a running command.
class Status {
 public:
  virtual ~Status() = default;
  // A finding shown with `label` ("warning", "note", "error") in place of "error".
  virtual void finding(const Error& finding, std::string_view label) = 0;
  // A progress line about kb itself ("building 2 variant(s) of relu ...").
  virtual void progress(std::string_view text) = 0;
  // A line shown as it is, e.g. an indented detail under a progress line.
  virtual void detail(std::string_view text) = 0;
};

// A Status that shows nothing (the Python module, tests that do not look).
class QuietStatus : public Status {
 public:
  void finding(const Error&, std::string_view) override {}
  void progress(std::string_view) override {}
  void detail(std::string_view) override {}
};

// One QuietStatus shared by every Io that names none. Never fails.
inline Status& quiet_status() {
  static QuietStatus quiet;
  return quiet;
}

}  // namespace kb
