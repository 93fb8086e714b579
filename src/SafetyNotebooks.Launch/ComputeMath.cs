namespace SafetyNotebooks.Launch;

/// <summary>Peak dense bf16 tensor throughput of a GPU, the denominator of MFU.</summary>
public sealed record GpuSpec(string Name, double PeakBf16Flops, double MemoryGiB);

public static class Gpus
{
    // H100/H200 SXM: 1.979e15 with 2:4 sparsity, halved for dense (Lightning's ThroughputMonitor table);
    // H200 has the same tensor cores as H100, only more and faster memory. A100: 312 TFLOPS dense bf16.
    public static GpuSpec H100 { get; } = new("h100", 989.5e12, 80);
    public static GpuSpec H200 { get; } = new("h200", 989.5e12, 141);
    public static GpuSpec A100 { get; } = new("a100", 312e12, 80);

    public static IReadOnlyList<GpuSpec> All { get; } = [H100, H200, A100];

    public static GpuSpec Find(string name, string option = "--gpu") =>
        All.FirstOrDefault(g => string.Equals(g.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new BadInputException($"unknown GPU; expected one of {string.Join(", ", All.Select(g => g.Name))}", option, value: name);
}

/// <summary>
/// Training compute arithmetic (PRETRAINING.md §4). FLOPs per token = 6·N_matmul + 12·L·d·T, the convention of
/// torchtitan and nanotron: forward + backward of every matmul, attention scores and values not discounted for the
/// causal mask. Pure functions; no rounding except where a count must be whole.
/// </summary>
public static class ComputeMath
{
    /// <summary>Weights of one transformer block's matmuls: q, k, v, o projections and the three SwiGLU matrices.</summary>
    public static long BlockMatmulParams(ModelShape m)
    {
        long d = m.Embedding, kv = (long)m.QueryGroups * m.HeadSize;
        return d * d /* q */ + 2 * d * kv /* k, v */ + d * d /* o */ + 3 * d * m.Intermediate;
    }

    /// <summary>Parameters whose matmuls run per token: all blocks plus the output head (the embedding lookup is not a matmul).</summary>
    public static long MatmulParams(ModelShape m, long vocab) => m.Layers * BlockMatmulParams(m) + vocab * m.Embedding;

    /// <summary>All trainable parameters: blocks, two RMSNorms per block, the final norm, embedding, and (untied) head.</summary>
    public static long TotalParams(ModelShape m, long vocab, bool tied)
    {
        long norms = (long)m.Layers * 2 * m.Embedding + m.Embedding;
        long embedding = vocab * m.Embedding;
        return m.Layers * BlockMatmulParams(m) + norms + embedding + (tied ? 0 : embedding);
    }

    /// <summary>Attention FLOPs per token for a sequence of <paramref name="seqLen"/>: 12·L·d·T (QKᵀ and AV, forward and backward).</summary>
    public static double AttentionFlopsPerToken(ModelShape m, int seqLen) => 12.0 * m.Layers * m.Embedding * seqLen;

    /// <summary>Training FLOPs per token: 6·N_matmul + 12·L·d·T.</summary>
    public static double TrainingFlopsPerToken(ModelShape m, long vocab, int seqLen) =>
        6.0 * MatmulParams(m, vocab) + AttentionFlopsPerToken(m, seqLen);

    /// <summary>Tokens per second one GPU sustains at <paramref name="mfu"/> of its peak.</summary>
    public static double TokensPerSecondPerGpu(double mfu, double peakFlops, double flopsPerToken) => mfu * peakFlops / flopsPerToken;

    /// <summary>Wall-clock seconds to train <paramref name="tokens"/> on <paramref name="gpus"/> GPUs at the given per-GPU rate.</summary>
    public static double TrainingSeconds(double tokens, int gpus, double tokensPerSecondPerGpu) => tokens / (gpus * tokensPerSecondPerGpu);

    /// <summary>The MFU a measured per-GPU rate corresponds to.</summary>
    public static double Mfu(double tokensPerSecondPerGpu, double peakFlops, double flopsPerToken) => tokensPerSecondPerGpu * flopsPerToken / peakFlops;

    /// <summary>Smallest multiple of <paramref name="multiple"/> that is ≥ <paramref name="n"/> (LitGPT's find_multiple).</summary>
    public static long PadTo(long n, long multiple) => n % multiple == 0 ? n : n + multiple - n % multiple;

    /// <summary>
    /// Bytes of one resumable LitGPT checkpoint (lit_model.pth with the full state dict gathered, plus AdamW state):
    /// fp32 weights (4 B) and the two fp32 moments (8 B) per parameter. bf16-mixed keeps fp32 master weights.
    /// </summary>
    public static long CheckpointBytes(long parameters) => parameters * 12;

    /// <summary>Bytes of the weights alone in fp32 (what <c>litgpt convert_from_litgpt</c> hands on for inference).</summary>
    public static long WeightBytesFp32(long parameters) => parameters * 4;

    /// <summary>Bytes of a LitData token dataset written as int32 (no_header_tensor:16), ignoring the small chunk headers.</summary>
    public static long TokenDatasetBytes(long tokens, int bytesPerToken = 4) => tokens * bytesPerToken;
}
