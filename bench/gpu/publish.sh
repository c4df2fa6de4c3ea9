#!/usr/bin/env bash
# Publishes a tool self-contained for linux-x64 into a folder the GPU session carries (the device tool carries at
# most 64 MiB in all): the bench tool (EpdBatch.Bench, into .gpu/bench) or the epd CLI (into .gpu/epd, for
# `epd run` embedded and `epd plan profile` on the GPU). TorchSharp-cpu's libtorch (~480 MiB) is left out: on the GPU
# host the PyTorch install's libtorch (with CUDA) is loaded through EPD_LIBTORCH, before libLibTorchSharp.so, which stays.
#
#   bench/gpu/publish.sh [OUT_DIR]             the bench tool (LIMIT_MIB=60 by default)
#   TOOL=epd bench/gpu/publish.sh [OUT_DIR]    the epd CLI (106 MiB: carried as OUT_DIR.tar.gz, ~40 MiB;
#                                              bench/gpu/pipeline.sh unpacks it on the host)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
tool=${TOOL:-bench}
case $tool in
  bench) project=bench/EpdBatch.Bench; exe=EpdBatch.Bench ;;
  epd) project=services/ingest/EpdBatch.Cli; exe=epd ;;
  *) echo "publish: TOOL is bench or epd, not '$tool'" >&2; exit 2 ;;
esac
out=${1:-.gpu/$tool}
limit_mib=${LIMIT_MIB:-60}

rm -rf "$out"
dotnet publish "$project" -c Release -r linux-x64 --self-contained -o "$out" -nologo
(
  cd "$out"
  # TorchSharp-cpu's libtorch: libtorch*, libc10, its OpenMP runtime, and backend/test plugins.
  rm -f libtorch.so libtorch_*.so libtorchbind_test.so libc10.so libgomp-*.so* libshm.so \
        libjitbackend_test.so libbackend_with_compiler.so libaoti_custom_ops.so libnnapi_backend.so
  # Never used on the GPU host: debugger and dump support, the alternative GCs, symbols; and, by the bench,
  # image decoding (SkiaSharp; the bench feeds pixel tensors; the CLI decodes the job's images with it).
  rm -f libmscordbi.so libmscordaccore.so createdump libcoreclrtraceptprovider.so libclrgc.so libclrgcexp.so ./*.pdb
  if [[ $tool == bench ]]; then rm -f libSkiaSharp.so; fi
)
if [[ ! -f "$out/libLibTorchSharp.so" || ! -x "$out/$exe" ]]; then
  echo "publish: $out lacks $exe or libLibTorchSharp.so" >&2
  exit 1
fi
if compgen -G "$out/libtorch*" > /dev/null || compgen -G "$out/libc10*" > /dev/null; then
  echo "publish: libtorch files remain in $out" >&2
  exit 1
fi
size_kib=$(du -sk "$out" | cut -f1)
echo "$out: $(( (size_kib + 1023) / 1024 )) MiB in $(find "$out" -type f | wc -l) files; native libraries:"
carried=$out
if [[ $tool == epd ]]; then
  # The CLI's managed assemblies (MassTransit, Azure, Redis clients) are too many to carry as they are; gzip
  # brings them to about a third.
  tar -czf "$out.tar.gz" -C "$out" .
  carried=$out.tar.gz
  size_kib=$(du -sk "$carried" | cut -f1)
  echo "$carried: $(( (size_kib + 1023) / 1024 )) MiB"
fi
for lib in "$out"/*.so*; do
  stat -c '%n %s' "$lib" | awk '{ n = split($1, p, "/"); printf "  %-40s %6.1f MiB\n", p[n], $2 / 1048576 }'
done
if (( size_kib > limit_mib * 1024 )); then
  echo "publish: $carried is over ${limit_mib} MiB" >&2
  exit 1
fi
