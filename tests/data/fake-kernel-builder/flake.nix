# kb's offline stand-in for the kernel-builder flake (github:huggingface/kernels).
#
# It keeps the parts of the real flake's contract that `kb build --backend=nix` relies on:
#   - the entry point `lib.genKernelFlakeOutputs { path, self, ... }`, with the same refusals
#     (a `rev` argument, no `self`, a `self` without shortRev/dirtyShortRev) and the renamed
#     `lib.genFlakeOutputs` that throws;
#   - the output names `packages.<system>.{bundle, default, redistributable.<variant>, variants}`;
#   - the bundle layout: `$out/<variant>/{__init__.py,_ops.py,metadata.json}`, plus CARD.md and
#     benchmarks/ when the kernel has them; `redistributable.<variant>` is `$out/<variant>/`;
#   - the unique id: self.shortRev (or dirtyShortRev with '-' -> '_') in `_<mod>_<backend>_<id>`.
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
              }) backends;
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
              inherit bundle redistributable;
              default = bundle;
              variants = map (v: v.name) built;
            };
        in
        {
          packages = forSystems perSystem;
        };
    in
    {
      lib = {
        inherit genKernelFlakeOutputs;
        genFlakeOutputs = _: throw "genFlakeOutputs has been renamed to genKernelFlakeOutputs";
      };
    };
}
