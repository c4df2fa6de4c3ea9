#!/usr/bin/env bash
# The GPU session's pipeline phase, run from the repository root on the GPU host (PyTorch with CUDA, transformers,
# no .NET, no network). Needs .gpu/epd.tar.gz (TOOL=epd bench/gpu/publish.sh) and a job folder made by
# bench/gpu/make-job.sh ($JOB: .gpu/job for onevision-0.5b, .gpu/job-7b for llava-1.5-7b): carry both.
#
#   1. transformers draws the job's shape's random weights (bf16) from the carried configs (once per host);
#   2. `epd run` (embedded: ingest, encoder, prefill and decoder in one process, each stage's device set on its own,
#      here all cuda:0) runs the 64-item job $RUNS times (videos where the host has ffmpeg, else images); each
#      run's summary.json (items/s, per-stage busy time and queue wait) comes back as $OUT/summary-N.json and its
#      console output goes into $OUT/pipeline.log;
#   3. `epd plan profile` measures the stage costs on this GPU for the planner.
#
# Environment: JOB (default .gpu/job), OUT (default .gpu/out), MODELS (default .gpu/models), RUNS (default 3),
# PROFILE (1: also profile), DECODE_BATCH (the decoder's MaxBatchSize, default 64).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
OUT=${OUT:-$PWD/.gpu/out}
MODELS=${MODELS:-$PWD/.gpu/models}
RUNS=${RUNS:-3}
JOB=$(realpath "${JOB:-.gpu/job}")
EPD_DIR=${TMPDIR:-/tmp}/epd-cli
EPD=$EPD_DIR/epd
shape=$(cat "$JOB/shape")
model=$MODELS/$shape
mkdir -p "$OUT" "$MODELS"
{ date -u; nvidia-smi; python3 -c 'import torch, transformers; print("torch", torch.__version__, "CUDA", torch.version.cuda, "transformers", transformers.__version__)'; nproc; } >> "$OUT/pipeline.log" 2>&1
log() { echo "[$(date -u +%H:%M:%S)] $*" | tee -a "$OUT/pipeline.log"; }

rm -rf "$EPD_DIR" && mkdir -p "$EPD_DIR" && tar -xzf .gpu/epd.tar.gz -C "$EPD_DIR" || exit 2
EPD_LIBTORCH=$(python3 -c 'import torch,os;print(os.path.join(os.path.dirname(torch.__file__),"lib"))') || exit 2
export EPD_LIBTORCH LD_LIBRARY_PATH="$EPD_LIBTORCH${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export Epd__Encoder__Device=cuda:0 Epd__Prefill__Device=cuda:0 Epd__Decoder__Device=cuda:0
export Epd__Decoder__MaxBatchSize=${DECODE_BATCH:-64}
export DOTNET_gcServer=0

if [[ ! -f $model/model.safetensors && ! -f $model/model.safetensors.index.json ]]; then
  rm -rf "$model" && cp -r "$JOB/model" "$model"
  log "+ transformers draws the weights"
  python3 -u bench/peer/hf_peer.py make --model "$model" --dtype bf16 2>&1 | tail -3 | tee -a "$OUT/pipeline.log"
fi
gunzip -c "$JOB/model/tokenizer.json.gz" > "$model/tokenizer.json"

manifest=$JOB/videos.jsonl
if ! command -v ffmpeg >/dev/null || [[ ! -f $JOB/videos.jsonl || ! -d $JOB/videos ]]; then
  manifest=$JOB/images.jsonl
  log "no ffmpeg on this host (or no videos carried): the job uses one image per item instead of a video"
fi
log "manifest $manifest ($(wc -l < "$manifest") items)"
for ((r = 1; r <= RUNS; r++)); do
  log "+ epd run (run $r)"
  results=${TMPDIR:-/tmp}/epd-run-$r
  rm -rf "$results"
  nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -lms 250 > "$results.gpu" 2>/dev/null &
  sampler=$!
  "$EPD" run "$manifest" -m "$model" -o "$results" > "$results.log" 2>&1
  code=$?
  kill $sampler 2>/dev/null
  log "exit $code; peak GPU memory in use $(sort -n "$results.gpu" | tail -1) MiB (nvidia-smi, sampled every 250 ms)"
  tail -n 25 "$results.log" >> "$OUT/pipeline.log"
  cp "$results"/*/summary.json "$OUT/summary-$r.json"
  head -c 600 "$results"/*/results.jsonl >> "$OUT/pipeline.log"; echo >> "$OUT/pipeline.log"
done

if [[ ${PROFILE:-1} == 1 ]]; then
  log "+ epd plan profile (cuda)"
  timeout 240 "$EPD" plan profile -m "$model" --device cuda --device-memory-gb 80 --repeats 3 \
    -o "$OUT/profile-$shape.json" > "$OUT/profile.log" 2>&1
  log "profile exit $?"
fi
