#!/usr/bin/env bash
# The GPU session of the runtime benchmarks (docs/benchmarks.md), run from the repository root on a GPU host with
# PyTorch (CUDA) and transformers 5.x installed and no network. It needs the bench tool published by
# bench/gpu/publish.sh and carried in .gpu/bench (no .NET is needed on the host).
#
#   bash bench/gpu/run.sh [PHASE...]        phases, in order: make check bench (default: all three)
#
#   make   Writes each shape's configs (EpdBatch.Bench make-model --config-only), then transformers draws the
#          random weights and saves them (hf_peer.py make): one checkpoint, read by both runtimes. The 7B model
#          (~14 GB in bf16) is made here because it cannot travel to the host.
#   check  float32 greedy decoding, 16 tokens for 4 items, by transformers and by EpdBatch from the same pixels and
#          prompt ids, then compared token by token (llava-1.5-7b: 4 images; onevision-0.5b: 4 two-frame videos).
#   bench  EpdBatch (encoder and language stages in separate processes, so each worker's peak GPU memory is its
#          own) and transformers (bf16, sdpa, generate) on the same workloads; medians of $REPEATS runs.
#
# One device command may run 10 minutes at most: run `make check` in one call and `bench` in the next, on the same
# warm machine (the checkpoints stay in .gpu/models). If a call runs out of time, split it by shape with
# SHAPES=llava-1.5-7b or SHAPES=onevision-0.5b; every result already written to $OUT comes back.
#
# Environment: OUT (results; default .gpu/out), MODELS (default .gpu/models), SHAPES, REPEATS (default 3).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
OUT=${OUT:-$PWD/.gpu/out}
MODELS=${MODELS:-$PWD/.gpu/models}
BENCH=${BENCH:-$PWD/.gpu/bench/EpdBatch.Bench}
SHAPES=${SHAPES:-llava-1.5-7b onevision-0.5b}
REPEATS=${REPEATS:-3}
PEER=(python3 -u bench/peer/hf_peer.py)
mkdir -p "$OUT" "$MODELS"
phases=("$@")
(( ${#phases[@]} > 0 )) || phases=(make check bench)
failures=0

log() { echo "[$(date -u +%H:%M:%S)] $*" | tee -a "$OUT/session.log"; }
# Runs one step, logging its output; a failed step is counted and the session goes on with the next one.
step() {
  log "+ $*"
  if ! "$@" 2>&1 | tee -a "$OUT/session.log"; then
    failures=$((failures + 1))
    log "FAILED: $*"
    return 1
  fi
}

if [[ ! -x "$BENCH" ]]; then
  chmod +x "$BENCH" 2>/dev/null || { echo "no bench tool at $BENCH: run bench/gpu/publish.sh and carry .gpu/bench" >&2; exit 2; }
fi
EPD_LIBTORCH=$(python3 -c 'import torch,os;print(os.path.join(os.path.dirname(torch.__file__),"lib"))' 2>/dev/null) || {
  echo "python3 cannot import torch" >&2; exit 2; }
export EPD_LIBTORCH
export LD_LIBRARY_PATH="$EPD_LIBTORCH${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
{
  date -u
  nvidia-smi
  python3 -c 'import torch, transformers; print("torch", torch.__version__, "CUDA", torch.version.cuda, "transformers", transformers.__version__)'
  echo "EPD_LIBTORCH=$EPD_LIBTORCH"
  nproc; free -g; df -h "$MODELS"
} > "$OUT/environment.txt" 2>&1

for phase in "${phases[@]}"; do
  log "=== phase $phase (shapes: $SHAPES)"
  for shape in $SHAPES; do
    model="$MODELS/$shape"
    case $phase in
      make)
        step "$BENCH" make-model --shape "$shape" --out "$model" --dtype bf16 --config-only &&
          step "${PEER[@]}" make --model "$model" --dtype bf16
        ;;
      check)
        dir="$OUT/check-$shape"
        step "${PEER[@]}" check --model "$model" --out "$dir" &&
          step "$BENCH" check --model "$model" --inputs "$dir/inputs.json" --device cuda --dtype f32 --json "$dir/epdbatch.json" &&
          step "${PEER[@]}" compare "$dir/hf.json" "$dir/epdbatch.json" --json "$dir/compare.json"
        ;;
      bench)
        step "$BENCH" runtime --model "$model" --device cuda --stage encoder --repeats "$REPEATS" \
          --json "$OUT/epdbatch-$shape-encoder.json"
        encoder_json=()  # TTFT adds the encoder's batch-1 time when the encoder run succeeded
        [[ -f "$OUT/epdbatch-$shape-encoder.json" ]] && encoder_json=(--encoder-json "$OUT/epdbatch-$shape-encoder.json")
        step "$BENCH" runtime --model "$model" --device cuda --stage language --repeats "$REPEATS" \
          "${encoder_json[@]}" --json "$OUT/epdbatch-$shape-language.json"
        step "${PEER[@]}" bench --model "$model" --repeats "$REPEATS" --json "$OUT/hf-$shape.json"
        ;;
      *)
        echo "unknown phase '$phase' (make, check, bench)" >&2
        exit 2
        ;;
    esac
  done
done
log "done: $failures failed step(s); results in $OUT"
(( failures == 0 ))
