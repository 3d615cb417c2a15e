# The two commands a new user needs: `make demo` and `make test`.
# Both provision ComfyUI 0.3.75 into .runtime/ on first use (a few minutes),
# or use your own ComfyUI when COMFYUI_DIR is set.

PYTHON ?= python3
RUNTIME_PYTHON = $$($(PYTHON) scripts/comfyui.py python)

.PHONY: demo test test-unit test-integration test-browser serve provision browser clean

provision:
	$(PYTHON) scripts/comfyui.py provision

demo: provision
	$(RUNTIME_PYTHON) scripts/demo.py

serve: provision
	$(PYTHON) scripts/comfyui.py serve

browser:
	$(PYTHON) scripts/browser.py

test: provision browser
	$(RUNTIME_PYTHON) -m pytest tests -q

test-unit: provision
	$(RUNTIME_PYTHON) -m pytest tests/unit -q

test-integration: provision
	$(RUNTIME_PYTHON) -m pytest tests/integration -q

test-browser: provision browser
	$(RUNTIME_PYTHON) -m pytest tests/browser -q

clean:
	rm -rf .runtime test-artifacts
