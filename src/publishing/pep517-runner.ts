/**
 * The PEP 517 hook runner, written next to each isolated build and run inside the
 * sandbox by the build's Python (`-I -S`: no user site, no PYTHONPATH, no system
 * site-packages, as pip's build isolation). It adds only the build-requirements
 * environment and the project's `backend-path`, calls one hook and writes its answer as
 * JSON. The answer is the repository's to choose, so the worker validates it.
 *
 * Kept as a string so that it ships inside dist/ with the code that runs it.
 */
export const PEP517_RUNNER = String.raw`
import importlib, json, os, site, sys

hook, spec_path, result_path = sys.argv[1], sys.argv[2], sys.argv[3]
with open(spec_path) as f:
    spec = json.load(f)
site.addsitedir(spec["env"])
for entry in reversed(spec["backend_path"]):
    sys.path.insert(0, os.path.abspath(entry))
module_name, _, attrs = spec["backend"].partition(":")
backend = importlib.import_module(module_name)
for attr in attrs.split(".") if attrs else []:
    backend = getattr(backend, attr)

if hook in ("get_requires_for_build_sdist", "get_requires_for_build_wheel"):
    fn = getattr(backend, hook, None)
    value = list(fn({})) if fn is not None else []
elif hook in ("build_sdist", "build_wheel"):
    value = getattr(backend, hook)(spec["out"], {})
else:
    raise SystemExit("unknown hook " + hook)
with open(result_path, "w") as f:
    json.dump({"value": value}, f)
`;
