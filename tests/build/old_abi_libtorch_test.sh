#!/bin/bash
# CMake refuses a LibTorch built with the pre-C++11 ABI, with a message that says what to use
# instead, rather than failing later at link time. A stand-in TorchConfig.cmake plays that LibTorch.
set -u
work=$(mktemp -d "${TMPDIR:-/tmp}/collab-abi-XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/torch"
cat > "$work/torch/TorchConfig.cmake" <<'CMAKE'
set(TORCH_FOUND TRUE)
set(TORCH_CXX_FLAGS "-D_GLIBCXX_USE_CXX11_ABI=0")
set(TORCH_LIBRARIES "")
set(TORCH_INCLUDE_DIRS "")
CMAKE
if cmake -S "$SOURCE_DIR" -B "$work/build" -DTorch_DIR="$work/torch" -DCOLLAB_BUILD_TESTS=OFF >"$work/log" 2>&1; then
  echo "FAIL: configuring against a pre-C++11-ABI LibTorch succeeded"; exit 1
fi
grep -q "pre-C++11 ABI" "$work/log" || { echo "FAIL: no clear message:"; tail -20 "$work/log"; exit 1; }
# The same stand-in with the C++11 ABI gets past the check.
sed -i 's/_GLIBCXX_USE_CXX11_ABI=0/_GLIBCXX_USE_CXX11_ABI=1/' "$work/torch/TorchConfig.cmake"
cmake -S "$SOURCE_DIR" -B "$work/build2" -DTorch_DIR="$work/torch" -DCOLLAB_BUILD_TESTS=OFF >"$work/log2" 2>&1
if grep -q "pre-C++11 ABI" "$work/log2"; then echo "FAIL: a C++11-ABI LibTorch was refused"; exit 1; fi
echo "ok: a pre-C++11-ABI LibTorch is refused with a clear message"
