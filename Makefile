# ddad-lite: `make reproduce` runs the notebook series headless (quick profile, CPU);
# `make test` runs the test suite. Both create .venv on first use.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: help venv test test-fast test-kernels test-torch-range reproduce reproduce-smoke site \
        figures notebooks lab lint bench gpu clean-runs references

help:
	@echo "make reproduce  run the notebook series headless (quick profile) into runs/quick/"
	@echo "make test       run the test suite (includes the smoke notebook series)"
	@echo "make test-kernels  the equivalence tests under other CPU kernels and thread counts"
	@echo "make site       the executed series (runs/quick, after make reproduce) as HTML in site/"
	@echo "make figures    the README's figures (docs/figures/*.png) from a short real run"
	@echo "make notebooks  rebuild notebooks/NN_*.ipynb from their scripts in notebooks/src/ (jupytext)"
	@echo "make lab        open JupyterLab on notebooks/"
	@echo "make lint       ruff over the package and tests"
	@echo "make bench      throughput benchmark, engine vs the reference loop"
	@echo "make references  the reference results (docs/results/<name>/), one thread a run"
	@echo "make gpu        CIFAR-10 teacher + DDAD student on one GPU in ~10 min (CIFAR10=zip)"
	@echo "make test-torch-range  the smoke tests under the oldest supported torch and torch 2.11"

venv: $(STAMP)

# The constraints file pins the exact versions the reproduction was run with; pyproject.toml
# holds the ranges. Pinning torch also keeps pip away from other local torch builds. The optional
# extras are installed too, so that `make test` covers timm teachers, ONNX export, TensorBoard
# and the browser suite.
$(STAMP): pyproject.toml constraints.txt ddad_lite/series/kernel.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[notebooks,dev,browser,timm,onnx,tensorboard]"
	$(BIN)/python -m ddad_lite.series.kernel install --sys-prefix
	touch $(STAMP)

test: venv
	$(BIN)/python -m pytest

test-fast: venv
	$(BIN)/python -m pytest -m "not slow"

# The equivalence tests under other CPU kernels and thread counts (ATEN_CPU_CAPABILITY,
# ONEDNN_MAX_CPU_ISA, OMP_NUM_THREADS): a table of pass/fail, one column per setting.
test-kernels: venv
	$(BIN)/python tests/kernel_matrix.py

reproduce: venv
	$(BIN)/python -m ddad_lite reproduce --profile quick

reproduce-smoke: venv
	$(BIN)/python -m ddad_lite reproduce --profile smoke

# CIFAR-10 on one GPU in about ten minutes (docs/speed.md): the teacher, the bench and a DDAD
# student under a deadline, into runs/gpu/DATE-TIME/ (8 small files). CIFAR10=path/to/archive
# imports a local copy; without it the official archive is downloaded and verified once.
gpu: venv
	$(BIN)/python -m ddad_lite gpu-reproduce --out runs/gpu/$$(date +%Y%m%d-%H%M%S) --work runs/gpu/work \
		$(if $(CIFAR10),--data $(CIFAR10))

# The reference results the notebooks conclude from (ddad_lite/references/): every seed of
# every reference through run_or_load (resumable, run folders in runs/references/), one
# thread a run, then docs/results/<name>/ and docs/results/README.md; prints its total time.
references: venv
	OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 $(BIN)/python -m ddad_lite references $(if $(ONLY),--only $(ONLY))

# Static HTML of the executed series, viewable from disk: open site/index.html.
site: venv
	$(BIN)/python -m ddad_lite site --series runs/quick --out site

# The README's figures from a real run (notebook 01's 2-D game, quick budget): docs/figures/.
figures: venv
	$(BIN)/python -m ddad_lite figures --out docs/figures

# Each notebook is paired by jupytext with its percent script notebooks/src/NN_name.py
# (notebooks/jupytext.toml): edit the script, then rebuild; --update keeps the cell ids, and the
# metadata is the kernel's (series/kernel.py). tests/test_notebook_source.py checks they agree.
notebooks: venv
	@meta='$(shell $(BIN)/python -m ddad_lite.series.kernel metadata)'; \
	for script in notebooks/src/[0-9][0-9]_*.py; do \
		$(BIN)/jupytext --quiet --update --update-metadata "$$meta" --to ipynb \
			-o notebooks/$$(basename $$script .py).ipynb $$script || exit 1; \
	done

# JupyterLab refuses to start as root (e.g. in a container) unless told to.
lab: venv
	$(BIN)/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root) notebooks/

lint: venv
	$(BIN)/ruff check ddad_lite tests data_prep

# The reference loop and the engine (bf16 autocast, channels_last) timed in one process,
# interleaved; prints both and the speedup as one JSON line (see docs/speed.md).
bench: venv
	$(BIN)/python -m ddad_lite bench --setting cifar10-r34-r18 --batch-size 64 --iters 3 --amp --compare

# The torch range pyproject.toml claims, tested: the smoke tests below under each TORCH:TORCHVISION
# pair (optional third field: pins that replace constraints.txt's, comma-separated), each in its
# own venv, .venv-torch-VERSION (.ci/torch_range.sh). The oldest pair is pyproject.toml's floor
# (2.1 and 2.2 lack torch.amp.GradScaler); 2.11.0/0.26.0 is the GPU machine's. The tests check
# that the code runs, not its numbers (the accuracy test, 3 minutes on 2 cores, is left out).
# Torch 2.3 is tested with numpy 1 (so with onnx's ml_dtypes before 0.6, which needs numpy 2).
TORCH_RANGE ?= 2.3.0:0.18.0:numpy==1.26.4,ml_dtypes==0.5.4 2.11.0:0.26.0
TORCH_RANGE_TESTS ?= tests/test_losses.py tests/test_hardware.py tests/test_optimizers.py \
	tests/test_models.py tests/test_engine.py tests/test_methods.py tests/test_teacher.py \
	tests/test_cli.py tests/test_files.py tests/test_extras.py tests/test_provenance.py \
	tests/test_own_data.py::test_export_to_onnx_where_installed tests/test_on_device.py \
	tests/test_gpu_reproduce.py \
	--deselect tests/test_engine.py::test_student_learns_above_chance

test-torch-range:
	PYTHON=$(PYTHON) .ci/torch_range.sh $(TORCH_RANGE) -- -m "not slow and not browser" \
	    $(TORCH_RANGE_TESTS)

clean-runs:
	rm -rf runs/
