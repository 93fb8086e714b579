namespace SafetyNotebooks.Decoding;

/// <summary>
/// The decoding defaults, defined once for the option records, the strategy records and the CLI: Hugging Face's
/// <c>generate</c> defaults for sampling and beam search, and the paper's settings for Safe Beam Search (Algorithm 2:
/// k = 4 beams, half of the pooled candidates discarded, candidates ranked by log-probability alone).
/// </summary>
public static class DecodingDefaults
{
    public const int Beams = 4;
    public const double BeamLengthPenalty = 1.0;
    public const double SafeBeamLengthPenalty = 0.0;
    public const double Discard = 0.5;
    public const long Seed = 0;
    public const double Temperature = 1.0;
    public const int TopK = 50;
    public const double TopP = 1.0;
}
