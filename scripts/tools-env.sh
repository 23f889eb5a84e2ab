# shellcheck shell=bash
# Source this file to put the tools installed by scripts/install-tools.sh on PATH:
#   . scripts/tools-env.sh
_pipegen_root=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
case ":$PATH:" in
  *":$_pipegen_root/.tools/venv/bin:"*) ;;
  *) PATH="$_pipegen_root/.tools/venv/bin:$_pipegen_root/.tools/node/node_modules/.bin:$PATH" ;;
esac
export PATH
unset _pipegen_root
