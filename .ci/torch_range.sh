#!/usr/bin/env bash
# The smoke suite under each torch/torchvision pair: `make test-torch-range` (the Makefile holds
# the pairs and the test list). Usage:
#   .ci/torch_range.sh TORCH:TORCHVISION[:EXTRA,...] ... -- PYTEST_ARGS...
# e.g.  .ci/torch_range.sh 2.3.0:0.18.0:numpy==1.26.4 2.11.0:0.26.0 -- tests/test_engine.py
# Each pair gets its own venv, .venv-torch-TORCH (git-ignored, reused while the pair, pyproject.toml
# and constraints.txt are unchanged), with the package installed editable with $EXTRAS. The other
# packages come from constraints.txt, less its torch stack (torch, torchvision, triton, nvidia-*,
# cuda-*, sympy, mpmath: each torch pins its own) and less any package an EXTRA names (an EXTRA
# such as numpy==1.26.4 replaces the constraint's pin). One line per pair at the end; the exit
# status is 1 if any pair failed to install or to pass.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
PYTHON=${PYTHON:-python3}
EXTRAS=${EXTRAS:-dev,timm,onnx}

pairs=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do pairs+=("$1"); shift; done
[ "${1:-}" = "--" ] && shift
if [ ${#pairs[@]} -eq 0 ] || [ $# -eq 0 ]; then
    echo "usage: $0 TORCH:TORCHVISION[:EXTRA,...] ... -- PYTEST_ARGS..." >&2
    exit 2
fi

summary=()
status=0
for pair in "${pairs[@]}"; do
    IFS=: read -r torch_v vision_v extra <<<"$pair"
    venv=".venv-torch-$torch_v"
    stamp="$venv/.installed"
    want="$pair $EXTRAS $(cat pyproject.toml constraints.txt | sha256sum | cut -c1-16)"
    start=$SECONDS
    echo "=== torch $torch_v, torchvision $vision_v${extra:+, $extra} ($venv)"
    if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
        rm -f "$stamp"
        test -x "$venv/bin/python" || "$PYTHON" -m venv "$venv" || exit 1
        names="torch|torchvision|triton|nvidia-.*|cuda-.*|sympy|mpmath"
        reqs=("torch==$torch_v" "torchvision==$vision_v")
        IFS=, read -ra extra_reqs <<<"${extra:-}"
        for r in "${extra_reqs[@]}"; do
            reqs+=("$r")
            names+="|$(sed -E 's/[<>=!~ ;[].*//; s/[-_.]/[-_.]/g' <<<"$r")"  # ml-dtypes = ml_dtypes
        done
        constraints="$venv/constraints.txt"
        grep -viE "^($names)==" constraints.txt >"$constraints"
        if ! { "$venv/bin/python" -m pip install --quiet --upgrade pip &&
               "$venv/bin/python" -m pip install --quiet -c "$constraints" \
                   -e ".[$EXTRAS]" "${reqs[@]}"; }; then
            summary+=("torch $torch_v / torchvision $vision_v: INSTALL FAILED")
            status=1
            continue
        fi
        echo "$want" >"$stamp"
    fi
    installed=$(cd /tmp && "$root/$venv/bin/python" -c \
        "import torch, torchvision, numpy; print(torch.__version__, torchvision.__version__,
         'numpy', numpy.__version__)")
    echo "=== installed: torch, torchvision: $installed"
    tests_start=$SECONDS
    if "$venv/bin/python" -m pytest -q -p no:cacheprovider "$@"; then result=passed
    else result=FAILED; status=1; fi
    summary+=("torch $torch_v / torchvision $vision_v ($installed): smoke suite $result in\
 $((SECONDS - tests_start)) s ($((SECONDS - start)) s with the venv)")
done
echo
printf '%s\n' "${summary[@]}"
exit $status
