#!/usr/bin/env python3
"""Hugging Face transformers as the peer of the EpdBatch runtime (GPU host: PyTorch + transformers 5.x, no network).

  make    --model DIR [--dtype bf16|f32] [--seed N]
          Random weights for the config.json in DIR (written by `EpdBatch.Bench make-model --config-only`), saved
          with save_pretrained into DIR: the one set of weights both runtimes read. Weights N(0, 0.02), norm scales
          1 + N(0, 0.02), drawn on the GPU from --seed.
  check   --model DIR --out DIR [--items 4] [--new-tokens 16] [--frames 2] [--seed N]
          float32 greedy decoding of random image (llava) or video (llava_onevision) items. Writes the inputs
          (inputs.json + pixels.safetensors) for `EpdBatch.Bench check`, and transformers' tokens (hf.json).
  bench   --model DIR --json FILE [--prompt-tokens N] [--steps N] [--repeats N] ...
          transformers timings (bf16, sdpa): encoder images/s, prefill tokens/s, decode step time via generate,
          TTFT, TPOT, peak memory.
  compare HF.json EPD.json [--json FILE]
          Token agreement between hf.json and the EpdBatch check output (needs no torch).
"""
import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time

DTYPES = {"bf16": "bfloat16", "bfloat16": "bfloat16", "f32": "float32", "float32": "float32", "f16": "float16"}


def torch_dtype(name):
    import torch
    return getattr(torch, DTYPES[name])


def model_class(model_type):
    import transformers
    classes = {
        "llava": transformers.LlavaForConditionalGeneration,
        "llava_onevision": transformers.LlavaOnevisionForConditionalGeneration,
    }
    if model_type not in classes:
        sys.exit(f"model_type {model_type!r} is not supported here ({', '.join(classes)})")
    return classes[model_type]


def token_id(config, kind):
    """image/video placeholder id; transformers 5.x spells it *_token_id, 4.x *_token_index."""
    for attr in (f"{kind}_token_id", f"{kind}_token_index"):
        value = getattr(config, attr, None)
        if value is not None:
            return int(value)
    return None


def feature_layers(config):
    layer = config.vision_feature_layer
    return list(layer) if isinstance(layer, (list, tuple)) else [layer]


def tokens_per_image(config):
    vc = config.vision_config
    grid = vc.image_size // vc.patch_size
    cls_token = 1 if vc.model_type.startswith("clip") else 0
    return grid * grid + (cls_token if config.vision_feature_select_strategy == "full" else 0)


def load(path, dtype, device):
    from transformers import AutoConfig
    config = AutoConfig.from_pretrained(path)
    cls = model_class(config.model_type)
    kwargs = dict(dtype=torch_dtype(dtype), attn_implementation="sdpa")
    try:
        model = cls.from_pretrained(path, device_map=device, **kwargs)
    except (ImportError, ValueError) as e:  # device_map needs accelerate in some versions
        print(f"device_map unavailable ({e}); loading on the CPU, then moving", file=sys.stderr)
        model = cls.from_pretrained(path, **kwargs).to(device)
    model.eval()
    return config, model


def device_used_mib():
    """GPU memory in use as the driver reports it (comparable with the EpdBatch figure, which reads NVML)."""
    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=memory.used", "--format=csv,noheader,nounits", "-i", "0"],
                             capture_output=True, text=True, check=True).stdout
        return float(out.strip().splitlines()[0])
    except (OSError, subprocess.CalledProcessError, ValueError, IndexError):
        return None


def versions():
    import torch
    import transformers
    info = {"torch": torch.__version__, "transformers": transformers.__version__}
    if torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name(0)
    return info


# ---------------------------------------------------------------------------------------------------------- make

def cmd_make(a):
    import torch
    from transformers import AutoConfig
    config = AutoConfig.from_pretrained(a.model)
    cls = model_class(config.model_type)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    start = time.perf_counter()
    torch.manual_seed(a.seed)
    with torch.device(device):
        model = cls(config)
    generator = torch.Generator(device=device).manual_seed(a.seed)
    with torch.no_grad():
        # named_parameters() lists tied tensors once, so tied embeddings get one draw.
        for name, p in model.named_parameters():
            p.normal_(0.0, 0.02, generator=generator)
            if "norm" in name and name.endswith("weight"):
                p.add_(1.0)
    model.to(torch_dtype(a.dtype))
    for stale in os.listdir(a.model):
        if stale.startswith("model") and ".safetensors" in stale:
            os.remove(os.path.join(a.model, stale))
    # safetensors is transformers 5.x's only format (no safe_serialization argument any more); 4 GB shards keep the
    # 7B model in a few files rather than the 5.x default of one 50 GB shard.
    model.save_pretrained(a.model, max_shard_size="4GB")
    count = sum(p.numel() for p in model.parameters())
    print(f"{a.model}: {config.model_type}, {count / 1e6:.1f} M parameters, {a.dtype}, seed {a.seed}, "
          f"{time.perf_counter() - start:.0f} s on {device}")


# --------------------------------------------------------------------------------------------------------- check

def cmd_check(a):
    import torch
    from safetensors.torch import save_file
    device = "cuda" if torch.cuda.is_available() else "cpu"
    # Plain float32: no TF32 in matmuls or convolutions (EpdBatch.Bench check sets the same).
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    config, model = load(a.model, "f32", device)
    vc = config.vision_config
    size = vc.image_size
    video = config.model_type == "llava_onevision"
    generator = torch.Generator().manual_seed(a.seed)
    if video:
        grid = vc.image_size // vc.patch_size
        per_item = a.frames * math.ceil(grid / 2) ** 2 + 1  # pooled frames + one newline per video
        placeholder = token_id(config, "video")
        pixels = torch.rand(a.items, a.frames, 3, size, size, generator=generator) * 2 - 1
        tensor_name = "pixel_values_videos"
    else:
        per_item = tokens_per_image(config)
        placeholder = token_id(config, "image")
        pixels = torch.rand(a.items, 3, size, size, generator=generator) * 2 - 1
        tensor_name = "pixel_values"
    text_limit = min(config.text_config.vocab_size, 30000)
    os.makedirs(a.out, exist_ok=True)
    save_file({tensor_name: pixels.contiguous()}, os.path.join(a.out, "pixels.safetensors"))

    items, results = [], []
    for i in range(a.items):
        before = torch.randint(3, text_limit, (4 + i,), generator=generator).tolist()
        after = torch.randint(3, text_limit, (8 + 2 * i,), generator=generator).tolist()
        prompt = before + [placeholder] + after                  # one placeholder: what EpdBatch takes
        expanded = before + [placeholder] * per_item + after     # what the transformers model takes
        items.append({"prompt_ids": prompt})
        ids = torch.tensor([expanded], device=device)
        media = pixels[i:i + 1].to(device)
        tokens, margins = [], []
        with torch.inference_mode():
            out = model(input_ids=ids, use_cache=True, **{tensor_name: media})
            for step in range(a.new_tokens):
                top = torch.topk(out.logits[0, -1].float(), 2)
                tokens.append(int(top.indices[0]))
                margins.append(float(top.values[0] - top.values[1]))
                if step + 1 == a.new_tokens:
                    break
                out = model(input_ids=torch.tensor([[tokens[-1]]], device=device),
                            past_key_values=out.past_key_values, use_cache=True)
        results.append({"prompt_length": len(expanded), "tokens": tokens, "margins": margins})
        print(f"item {i}: {len(expanded)} positions -> {' '.join(map(str, tokens))} (smallest top-2 margin {min(margins):.4f})")

    with open(os.path.join(a.out, "inputs.json"), "w") as f:
        json.dump({"kind": "video" if video else "image", "pixel_file": "pixels.safetensors",
                   "new_tokens": a.new_tokens, "seed": a.seed, "items": items}, f, indent=1)
    with open(os.path.join(a.out, "hf.json"), "w") as f:
        json.dump({"runtime": "transformers", **versions(), "device": device, "dtype": "float32",
                   "kind": "video" if video else "image", "items": results}, f, indent=1)
    print(f"wrote {a.out}/inputs.json, pixels.safetensors, hf.json")


# ------------------------------------------------------------------------------------------------------- compare

def cmd_compare(a):
    with open(a.hf) as f:
        hf = json.load(f)
    with open(a.epd) as f:
        epd = json.load(f)
    rows = []
    for i, (h, e) in enumerate(zip(hf["items"], epd["items"])):
        ht, et = h["tokens"], e["tokens"]
        first = next((k for k in range(min(len(ht), len(et))) if ht[k] != et[k]), None)
        if first is None and len(ht) != len(et):
            first = min(len(ht), len(et))
        rows.append({
            "item": i, "match": first is None, "first_mismatch": first,
            "prompt_length": [h.get("prompt_length"), e.get("prompt_length")],
            "hf_margin_at_mismatch": h["margins"][first] if first is not None and first < len(h["margins"]) else None,
            "hf_smallest_margin": min(h["margins"]), "hf": ht, "epdbatch": et,
        })
        state = "match" if first is None else f"first mismatch at token {first} (transformers top-2 margin there {rows[-1]['hf_margin_at_mismatch']})"
        print(f"item {i}: {state}")
    summary = {"items": len(rows), "matching": sum(r["match"] for r in rows),
               "compared_items": f"{len(hf['items'])} transformers, {len(epd['items'])} EpdBatch", "rows": rows}
    print(f"{summary['matching']}/{summary['items']} items produce the same {len(hf['items'][0]['tokens'])} greedy tokens")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(summary, f, indent=1)
    return 0 if summary["matching"] == summary["items"] == len(epd["items"]) else 3


# --------------------------------------------------------------------------------------------------------- bench

def cmd_bench(a):
    baseline_mib = device_used_mib()  # before this process creates a CUDA context
    import torch
    if not torch.cuda.is_available():
        sys.exit("bench needs CUDA")
    device = "cuda"

    def timed(fn):
        torch.cuda.synchronize()
        start = time.perf_counter()
        fn()
        torch.cuda.synchronize()
        return time.perf_counter() - start

    def repeat(fn):
        fn()  # warm-up
        return [timed(fn) for _ in range(a.repeats)]

    def peak_reset():
        torch.cuda.reset_peak_memory_stats()

    def peak():
        return {"max_allocated_bytes": torch.cuda.max_memory_allocated(),
                "max_reserved_bytes": torch.cuda.max_memory_reserved()}

    result = {"tool": "bench/peer/hf_peer.py bench", **versions(), "dtype": a.dtype, "attn_implementation": "sdpa",
              "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "model": os.path.abspath(a.model),
              "repeats": a.repeats}

    # Copy bandwidth, measured as the EpdBatch runtime measures it: 2 × bytes / time of one large copy.
    elements = a.copy_mib * (1 << 20) // 4
    src = torch.ones(elements, dtype=torch.float32, device=device)
    dst = torch.empty_like(src)
    copy_bw = 2 * elements * 4 / statistics.median(repeat(lambda: dst.copy_(src)))
    del src, dst
    torch.cuda.empty_cache()
    result["copy_bandwidth_bytes_per_s"] = copy_bw
    print(f"copy bandwidth: {copy_bw / 1e9:.1f} GB/s")

    load_start = time.perf_counter()
    peak_reset()
    config, model = load(a.model, a.dtype, device)
    torch.cuda.synchronize()
    result["load_s"] = time.perf_counter() - load_start
    result["model_type"] = config.model_type
    result["memory_after_load"] = {"allocated_bytes": torch.cuda.memory_allocated(), **peak()}
    element = torch.finfo(torch_dtype(a.dtype)).bits // 8
    language = sum(p.numel() for n, p in model.named_parameters() if "language_model" in n or "lm_head" in n)
    embed = model.get_input_embeddings().weight
    tied = model.get_output_embeddings().weight.data_ptr() == embed.data_ptr()
    read_per_step = (language if tied else language - embed.numel()) * element
    result["language_bytes_read_per_decode_step"] = read_per_step

    mm = model.model
    layers = feature_layers(config)
    strategy = config.vision_feature_select_strategy
    vc = config.vision_config
    size = vc.image_size
    per_image = tokens_per_image(config)
    prompt_tokens = a.prompt_tokens or per_image + 24
    result["prompt_tokens"] = prompt_tokens
    text_limit = min(config.text_config.vocab_size, 30000)
    generator = torch.Generator().manual_seed(0)

    def encode(pixels):
        # The tower + projector, as get_image_features runs them; features to host, as an encoder worker does.
        hidden = mm.vision_tower(pixels, output_hidden_states=True).hidden_states
        features = torch.cat([hidden[layer] for layer in layers], dim=-1)
        if strategy == "default":
            features = features[:, 1:]
        return mm.multi_modal_projector(features).cpu()

    rows = []
    print(f"encoder ({size} px, {per_image} tokens/image)")
    with torch.inference_mode():
        for batch in sorted(set([1] + a.encoder_batches)):
            pixels = (torch.rand(batch, 3, size, size, generator=generator) * 2 - 1).to(device, torch_dtype(a.dtype))
            peak_reset()
            samples = repeat(lambda: encode(pixels))
            median = statistics.median(samples)
            rows.append({"batch": batch, "median_s": median, "images_per_s": batch / median, "samples_s": samples, **peak()})
            print(f"  batch {batch:3d}: {median:.4f} s, {batch / median:.1f} images/s")
    result["encoder"] = rows
    encode_one = rows[0]["median_s"]

    def prompt(batch):
        return torch.randint(3, text_limit, (batch, prompt_tokens), generator=generator).to(device)

    rows = []
    print(f"prefill ({prompt_tokens} tokens per sequence)")
    with torch.inference_mode():
        for batch in sorted(set([1] + a.prefill_batches)):
            ids = prompt(batch)
            peak_reset()
            samples = repeat(lambda: model(input_ids=ids, use_cache=True, logits_to_keep=1))
            median = statistics.median(samples)
            rows.append({"batch": batch, "prompt_tokens": prompt_tokens, "median_s": median,
                         "tokens_per_s": batch * prompt_tokens / median, "samples_s": samples, **peak()})
            print(f"  batch {batch:3d}: {median:.4f} s, {batch * prompt_tokens / median:.0f} tokens/s")
    result["prefill"] = rows
    prefill_one = rows[0]["median_s"]

    pad = config.text_config.pad_token_id if getattr(config.text_config, "pad_token_id", None) is not None else 0

    def generate(ids, new_tokens, **extra):
        return model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), max_new_tokens=new_tokens,
                              min_new_tokens=new_tokens, do_sample=False, pad_token_id=pad, **extra)

    rows = []
    print(f"decode (generate: ({a.steps + 1} new tokens − 1 new token) ÷ {a.steps} steps)")
    with torch.inference_mode():
        for batch in sorted(set([1] + a.decode_batches)):
            ids = prompt(batch)
            peak_reset()
            first = statistics.median(repeat(lambda: generate(ids, 1)))
            full_samples = repeat(lambda: generate(ids, a.steps + 1))
            full = statistics.median(full_samples)
            step = (full - first) / a.steps
            rows.append({"batch": batch, "context_start": prompt_tokens, "steps": a.steps, "median_step_s": step,
                         "tokens_per_s": batch / step, "generate_1_token_s": first, "generate_all_s": full,
                         "generate_samples_s": full_samples,
                         "ratio_to_copy_bandwidth": read_per_step / step / copy_bw, **peak()})
            print(f"  batch {batch:3d}: step {step * 1e3:.2f} ms, {batch / step:.0f} tokens/s, "
                  f"ratio {read_per_step / step / copy_bw:.2f}, peak allocated {torch.cuda.max_memory_allocated() / 2**30:.1f} GiB")
    result["decode"] = rows
    result["tpot_s"] = rows[0]["median_step_s"]
    result["ttft_s"] = encode_one + prefill_one
    result["ttft_note"] = "encoder batch 1 + prefill batch 1, the EpdBatch definition"

    if config.model_type == "llava" and prompt_tokens >= per_image + 5:
        # End to end through generate: one image, the prompt with its image tokens expanded, one new token.
        image = token_id(config, "image")
        ids = prompt(1)
        ids[0, 4:4 + per_image] = image
        pixels = (torch.rand(1, 3, size, size, generator=generator) * 2 - 1).to(device, torch_dtype(a.dtype))
        with torch.inference_mode():
            result["ttft_generate_s"] = statistics.median(repeat(lambda: generate(ids, 1, pixel_values=pixels)))
        print(f"TTFT through generate (1 image + {prompt_tokens - per_image} text tokens): {result['ttft_generate_s'] * 1e3:.1f} ms")
    print(f"TTFT (encode + prefill, batch 1): {result['ttft_s'] * 1e3:.1f} ms; TPOT: {result['tpot_s'] * 1e3:.2f} ms")

    used = device_used_mib()
    if baseline_mib is not None and used is not None:
        result["device_used_end_above_baseline_bytes"] = int((used - baseline_mib) * 2**20)
    with open(a.json, "w") as f:
        json.dump(result, f, indent=1)
    print(f"wrote {a.json}")


def int_list(text):
    return [int(x) for x in text.split(",") if x]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("make")
    p.add_argument("--model", required=True)
    p.add_argument("--dtype", default="bf16", choices=["bf16", "f32"])
    p.add_argument("--seed", type=int, default=1234)

    p = sub.add_parser("check")
    p.add_argument("--model", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--items", type=int, default=4)
    p.add_argument("--new-tokens", type=int, default=16)
    p.add_argument("--frames", type=int, default=2)
    p.add_argument("--seed", type=int, default=7)

    p = sub.add_parser("bench")
    p.add_argument("--model", required=True)
    p.add_argument("--json", required=True)
    p.add_argument("--dtype", default="bf16", choices=["bf16", "f16", "f32"])
    p.add_argument("--prompt-tokens", type=int, default=0, help="default: an image's tokens + 24")
    p.add_argument("--encoder-batches", type=int_list, default=[1, 8, 32])
    p.add_argument("--prefill-batches", type=int_list, default=[1, 8])
    p.add_argument("--decode-batches", type=int_list, default=[1, 8, 32, 64])
    p.add_argument("--steps", type=int, default=32)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--copy-mib", type=int, default=2048)

    p = sub.add_parser("compare")
    p.add_argument("hf")
    p.add_argument("epd")
    p.add_argument("--json")

    a = parser.parse_args()
    return {"make": cmd_make, "check": cmd_check, "bench": cmd_bench, "compare": cmd_compare}[a.command](a) or 0


if __name__ == "__main__":
    sys.exit(main())
