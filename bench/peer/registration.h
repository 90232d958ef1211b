// The registration header a torch.utils.cpp_extension user writes for the example
// bindings (kb generates its own copy per variant; the kernel-builder template ships
// one too). cpp_extension defines TORCH_EXTENSION_NAME as the name given to load().
#pragma once

#include <Python.h>

#define BENCH_CONCAT_NOW(A, B) A##B
#define CONCAT(A, B) BENCH_CONCAT_NOW(A, B)

#define BENCH_STRINGIFY_NOW(A) #A
#define STRINGIFY(A) BENCH_STRINGIFY_NOW(A)

#define TORCH_LIBRARY_EXPAND(NAME, MODULE) TORCH_LIBRARY(NAME, MODULE)
#define TORCH_LIBRARY_IMPL_EXPAND(NAME, DEVICE, MODULE) TORCH_LIBRARY_IMPL(NAME, DEVICE, MODULE)

#define STABLE_TORCH_LIBRARY_EXPAND(NAME, MODULE) STABLE_TORCH_LIBRARY(NAME, MODULE)
#define STABLE_TORCH_LIBRARY_IMPL_EXPAND(NAME, DEVICE, MODULE) \
  STABLE_TORCH_LIBRARY_IMPL(NAME, DEVICE, MODULE)

// An empty Python module: importing it runs the static op registrations.
#define REGISTER_EXTENSION(NAME)                                     \
  PyMODINIT_FUNC CONCAT(PyInit_, NAME)(void) {                       \
    static struct PyModuleDef bench_module_def = {                   \
        PyModuleDef_HEAD_INIT, STRINGIFY(NAME), nullptr, 0, nullptr, \
        nullptr, nullptr, nullptr, nullptr};                         \
    return PyModule_Create(&bench_module_def);                       \
  }
