# lit configuration for tflx: `lit -v test/lit` (or the CMake target `check-tflx`).
#
# Tests are `.mlir` files (RUN lines drive tflx-opt / tflx-translate, CHECK lines are inline) and
# `.py` files (a script that builds a model, converts it and FileChecks the stage dumps).
# Substitutions:
#   tflx-opt, tflx-translate, tflx   this interpreter running tflx's command-line modules
#   %python                          sys.executable
#   FileCheck, filecheck             the `filecheck` pip package's executable
#   not                              lit's internal shell has it built in
import os
import re
import shutil
import sys

import lit.formats

config.name = "tflx"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".mlir", ".py"]
config.excludes = ["lit.cfg.py", "Inputs", "Output"]
config.test_source_root = os.path.dirname(os.path.abspath(__file__))
config.test_exec_root = os.path.join(config.test_source_root, "Output")

python = sys.executable


def _quote(path):
    return f'"{path}"' if re.search(r"\s", path) else path


# Where a command word can start in a RUN line: the line's start, after a pipe or a command
# separator, or after `not`. So `import tflx` inside `%python -c "..."` is left alone.
_COMMAND_START = r"(?:^|(?<=\|)|(?<=\| )|(?<=; )|(?<=;)|(?<=&& )|(?<=\|\| )|(?<=not ))"


def _command(name):
    """`name` where it is the command of a pipeline stage, not a word in an argument."""
    return _COMMAND_START + re.escape(name) + r"(?![\w.\-])"


def _filecheck():
    here = os.path.join(os.path.dirname(python), "filecheck")
    found = here if os.path.exists(here) else shutil.which("filecheck")
    if not found:
        lit_config.fatal("filecheck not found: pip install filecheck")
    return found


py = _quote(python)
filecheck = _quote(_filecheck())
config.substitutions.append(("%python", py))
config.substitutions.append((_command("tflx-opt"), f"{py} -m tflx.cli.opt"))
config.substitutions.append((_command("tflx-translate"), f"{py} -m tflx.cli.translate"))
config.substitutions.append((_command("tflx"), f"{py} -m tflx.cli.main"))
config.substitutions.append((_command("FileCheck"), filecheck))
config.substitutions.append((_command("filecheck"), filecheck))

# A clean environment plus what the tools need. The pass catalog (tflx.pass_catalog) is cached
# beside the test outputs so a run does not touch the user's cache directory.
for var in ("PATH", "HOME", "PYTHONPATH", "LD_LIBRARY_PATH", "TMPDIR", "VIRTUAL_ENV", "PYENV_VERSION"):
    if var in os.environ:
        config.environment[var] = os.environ[var]
config.environment["TFLX_CACHE_DIR"] = os.environ.get(
    "TFLX_CACHE_DIR", os.path.join(config.test_exec_root, ".tflx-cache"))
config.environment["TF_CPP_MIN_LOG_LEVEL"] = "3"
