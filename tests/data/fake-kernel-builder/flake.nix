# kb's offline stand-in for the kernel-builder flake (github:huggingface/kernels).
#
# It keeps the parts of the real flake's contract that `kb build --backend=nix` relies on:
#   - the entry point `lib.genKernelFlakeOutputs { path, self, ... }`, with the same refusals
#     (a `rev` argument, no `self`, a `self` without shortRev/dirtyShortRev) and the renamed
#     `lib.genFlakeOutputs` that throws;
#   - the output names `packages.<system>.{bundle, default, redistributable.<variant>, variants}`;
#   - the bundle layout: `$out/<variant>/{__init__.py,_ops.py,metadata.json}`, plus CARD.md and
#     benchmarks/ when the kernel has them; `redistributable.<variant>` is `$out/<variant>/`;
#   - the unique id: self.shortRev (or dirtyShortRev with '-' -> '_') in `_<mod>_<backend>_<id>`;
#   - what `kb test` / `kb develop --backend=nix` use (kernel-builder-format.md §5.3):
#     `packages.<system>.{ci-test, archVariants}` and `devShells.<system>.{default, test,
#     devShells.<variant>, testShells.<variant>}`. ci-test is a script running
#     `python3 -m pytest <src>/tests -m kernels_ci -p no:cacheprovider` (exit 5 accepted) with
#     PYTHONPATH=<ext>/<variant> and LOCAL_KERNELS=<repo-id>=<ext>; a test shell sets the same
#     two variables, a dev shell sets LOCAL_KERNELS=<repo-id>=$(pwd)/build in its shellHook.
#     Unlike the real builder, the stand-in brings no Python: python3 is whatever is on PATH.
# It compiles nothing and knows no Torch versions: every derivation is a /bin/sh script that
# writes text files, so the whole Nix path runs in seconds without network or toolchains.
{
  description = "kb test stand-in for the kernel-builder flake (no compilers, no inputs)";

  outputs = { self }:
    let
      systems = [ "x86_64-linux" "aarch64-linux" ];
      forSystems = f: builtins.listToAttrs (map (system: { name = system; value = f system; }) systems);

      supportedFormat = "kernel-builder.lib.genKernelFlakeOutputs { inherit self; path = ./.; }";

      # The variant each backend gets here: one fixed Torch version, as if that were the
      # only applicable build set. Noarch kernels get torch-<backend>.
      variantFor = { system, framework, backend }:
        if framework == "torch-noarch" then "torch-${backend}"
        else if backend == "cpu" then "torch211-cxx11-cpu-${system}"
        else if backend == "cuda" then "torch211-cxx11-cu130-${system}"
        else null;

      genKernelFlakeOutputs =
        { path, self ? null, rev ? null, ... }:
        let
          flakeRev =
            if self == null && rev != null then
              throw "`rev` argument of `genKernelFlakeOutputs` is deprecated, pass `self`: ${supportedFormat}"
            else if self == null then
              throw "Flake's `self` must be passed to `genKernelFlakeOutputs`: ${supportedFormat}"
            else
              self.shortRev or self.dirtyShortRev
                or (throw "Kernel is not in a git repository, this will create a non-reproducible build.");
          uid = builtins.replaceStrings [ "-" ] [ "_" ] flakeRev;
          kernelSha =
            if self ? rev then self.rev
            else if self ? dirtyRev then builtins.replaceStrings [ "-dirty" ] [ "" ] self.dirtyRev
            else null;

          toml = builtins.fromTOML (builtins.readFile (path + "/build.toml"));
          name = toml.general.name;
          repoId = toml.general.hub.repo-id or "kernels-community/${name}";
          mod = builtins.replaceStrings [ "-" ] [ "_" ] name;
          framework =
            if toml ? torch-noarch then "torch-noarch"
            else if toml ? tvm-ffi then "tvm-ffi"
            else "torch";
          initPy = path + "/torch-ext/${mod}/__init__.py";

          metadata = backend: builtins.toJSON ({
            inherit name;
            id = "_${mod}_${backend}_${uid}";
            version = toml.general.version;
            license = toml.general.license;
            python-depends = [ ];
            kernel-depends = [ ];
            backend = { type = backend; };
          } // (if kernelSha == null then { } else {
            provenance.kernel = { commit = kernelSha; dirty = !(self ? rev); };
          }));

          opsPy = backend: ''
            import torch
            ops = torch.ops._${mod}_${backend}_${uid}

            def add_op_namespace_prefix(op_name: str):
                return "_${mod}_${backend}_${uid}::" + op_name
          '';

          mkVariant = system: backend: variant: derivation {
            name = "${name}-${variant}";
            inherit system;
            builder = "/bin/sh";
            PATH = "/bin:/usr/bin";
            # A string with the file's context: Nix copies just this file into the store,
            # the way the real builder copies only the filtered source set.
            init = "${initPy}";
            ops = opsPy backend;
            meta = metadata backend;
            inherit variant;
            args = [ "-c" ''
              set -e
              mkdir -p "$out/$variant"
              cp "$init" "$out/$variant/__init__.py"
              printf '%s' "$ops" > "$out/$variant/_ops.py"
              printf '%s' "$meta" > "$out/$variant/metadata.json"
            '' ];
          };

          perSystem = system:
            let
              backends = builtins.filter (b: variantFor { inherit system framework; backend = b; } != null)
                toml.general.backends;
              built = map (b: {
                name = variantFor { inherit system framework; backend = b; };
                value = mkVariant system b (variantFor { inherit system framework; backend = b; });
                backend = b;
              }) backends;
              # The "best" build set of §5.3: CUDA before CPU.
              cudaBuilt = builtins.filter (v: v.backend == "cuda") built;
              best = if cudaBuilt != [ ] then builtins.head cudaBuilt else builtins.head built;
              hasTests = builtins.pathExists (path + "/tests");
              tests = if hasTests then "${builtins.path { path = path + "/tests"; name = "tests"; }}" else "";
              ciTest = derivation {
                name = "${name}-ci-test";
                inherit system repoId tests;
                builder = "/bin/sh";
                PATH = "/bin:/usr/bin";
                ext = best.value;
                variant = best.name;
                args = [ "-c" ''
                  set -e
                  {
                    echo '#!/bin/sh'
                    echo 'unset LD_LIBRARY_PATH'
                    echo "export PYTHONPATH=$ext/$variant"
                    echo "export LOCAL_KERNELS=$repoId=$ext"
                    echo "python3 -m pytest $tests -m kernels_ci -p no:cacheprovider || test \$? -eq 5"
                  } > "$out"
                  chmod +x "$out"
                '' ];
              };
              # `nix develop` needs a derivation whose builder is bash; it runs its own script
              # instead of `args`, which writes the environment to each of `$outputs` (so
              # `outputs` must be set). No PATH: the shell keeps the caller's.
              mkShell = shellName: attrs: derivation ({
                name = shellName;
                inherit system;
                outputs = [ "out" ];
                builder = "/bin/bash";
                args = [ "-c" "echo 'a shell for nix develop' > $out" ];
              } // attrs);
              devShellFor = v: mkShell "${name}-dev-${v.name}" {
                KB_STANDIN_SHELL = "devShells.${v.name}";
                shellHook = ''export LOCAL_KERNELS="${repoId}=$(pwd)/build"'';
              };
              testShellFor = v: mkShell "${name}-test-${v.name}" {
                KB_STANDIN_SHELL = "testShells.${v.name}";
                PYTHONPATH = "${v.value}/${v.name}";
                LOCAL_KERNELS = "${repoId}=${v.value}";
              };
              shellSet = f: builtins.listToAttrs (map (v: { inherit (v) name; value = f v; }) built);
              redistributable = builtins.listToAttrs built;
              hasCard = builtins.pathExists (path + "/CARD.md");
              hasBench = builtins.pathExists (path + "/benchmarks");
              bundle = derivation {
                name = "${name}-bundle";
                inherit system;
                builder = "/bin/sh";
                PATH = "/bin:/usr/bin";
                parts = map (v: v.value) built;
                card = if hasCard then "${path + "/CARD.md"}" else "";
                bench = if hasBench then "${builtins.path { path = path + "/benchmarks"; name = "benchmarks"; }}" else "";
                args = [ "-c" ''
                  set -e
                  mkdir -p "$out"
                  for p in $parts; do cp -r "$p"/* "$out/"; done
                  if [ -n "$card" ]; then cp "$card" "$out/CARD.md"; fi
                  if [ -n "$bench" ]; then cp -r "$bench" "$out/benchmarks"; fi
                '' ];
              };
            in
            {
              packages = {
                inherit bundle redistributable;
                default = bundle;
                variants = map (v: v.name) built;
                archVariants = map (v: v.name) built;
                ci-test = ciTest;
              };
              devShells = {
                default = devShellFor best;
                test = testShellFor best;
                devShells = shellSet devShellFor;
                testShells = shellSet testShellFor;
              };
            };
        in
        {
          packages = forSystems (system: (perSystem system).packages);
          devShells = forSystems (system: (perSystem system).devShells);
        };
    in
    {
      lib = {
        inherit genKernelFlakeOutputs;
        genFlakeOutputs = _: throw "genFlakeOutputs has been renamed to genKernelFlakeOutputs";
      };
    };
}
