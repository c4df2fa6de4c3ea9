#!/usr/bin/env bash
# Publishes EpdBatch.Bench self-contained for linux-x64 into .gpu/bench, the folder the GPU session carries (the
# device tool carries at most 64 MiB in all). TorchSharp-cpu's libtorch (~480 MiB) is left out: on the GPU host the
# PyTorch install's libtorch (with CUDA) is loaded through EPD_LIBTORCH, before libLibTorchSharp.so, which stays.
#
#   bench/gpu/publish.sh [OUT_DIR]        (LIMIT_MIB=60 by default)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
out=${1:-.gpu/bench}
limit_mib=${LIMIT_MIB:-60}

rm -rf "$out"
dotnet publish bench/EpdBatch.Bench -c Release -r linux-x64 --self-contained -o "$out" -nologo
(
  cd "$out"
  # TorchSharp-cpu's libtorch: libtorch*, libc10, its OpenMP runtime, and backend/test plugins.
  rm -f libtorch.so libtorch_*.so libtorchbind_test.so libc10.so libgomp-*.so* libshm.so \
        libjitbackend_test.so libbackend_with_compiler.so libaoti_custom_ops.so libnnapi_backend.so
  # Never used by the bench: image decoding (SkiaSharp; the bench feeds pixel tensors), debugger and dump
  # support, the alternative GCs, symbols.
  rm -f libSkiaSharp.so libmscordbi.so libmscordaccore.so createdump libcoreclrtraceptprovider.so \
        libclrgc.so libclrgcexp.so ./*.pdb
)
if [[ ! -f "$out/libLibTorchSharp.so" || ! -x "$out/EpdBatch.Bench" ]]; then
  echo "publish: $out lacks EpdBatch.Bench or libLibTorchSharp.so" >&2
  exit 1
fi
if compgen -G "$out/libtorch*" > /dev/null || compgen -G "$out/libc10*" > /dev/null; then
  echo "publish: libtorch files remain in $out" >&2
  exit 1
fi
size_kib=$(du -sk "$out" | cut -f1)
echo "$out: $(( (size_kib + 1023) / 1024 )) MiB in $(find "$out" -type f | wc -l) files; native libraries:"
for lib in "$out"/*.so*; do
  stat -c '%n %s' "$lib" | awk '{ n = split($1, p, "/"); printf "  %-40s %6.1f MiB\n", p[n], $2 / 1048576 }'
done
if (( size_kib > limit_mib * 1024 )); then
  echo "publish: $out is over ${limit_mib} MiB" >&2
  exit 1
fi
