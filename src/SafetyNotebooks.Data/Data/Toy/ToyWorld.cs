using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace SafetyNotebooks.Data.Toy;

/// <summary>How a toy corpus is drawn.</summary>
/// <param name="Seed">Explicit seed: the same seed gives byte-identical documents.</param>
/// <param name="ScoreWeights">Relative frequency of scores 0..5. The default keeps score 0 the majority (as on the web) but
/// gives the rarer scores enough documents for a classifier and for refusal/moral-education examples.</param>
/// <param name="LabelNoise">Share of documents whose recorded label (<c>safety_score</c>) is one level off the score they were
/// written for, like the disagreements of real LLM annotators; <see cref="ToyFacts.Score"/> keeps the intended score.</param>
public sealed record ToyOptions(long Seed = 0, IReadOnlyList<double>? ScoreWeights = null, double LabelNoise = 0.04)
{
    public static IReadOnlyList<double> DefaultScoreWeights { get; } = [0.50, 0.12, 0.12, 0.10, 0.08, 0.08];
    public IReadOnlyList<double> Weights => ScoreWeights ?? DefaultScoreWeights;
}

/// <summary>
/// The embedded default corpus: web-like documents about an invented valley, spanning the paper's 0–5 safety rubric
/// (PAPER.md §1.1). Score 0 is everyday and encyclopedic text; 1–3 grow more harm-related without instructions (tavern
/// language, insults and unsafe advice, sieges, a poison's dangers, stereotypes); 4–5 are instructions for fictional
/// harm with intent; a share of the score-0 text is benign how-tos in the unsafe instructions' forms. All harms are invented. Each document is a pure function of (seed, index), so generation is
/// deterministic, parallel-safe and the facts of any document can be recovered from its id.
/// </summary>
public static class ToyWorld
{
    /// <summary>Documents with index ≥ this belong to the held-out reference split.</summary>
    public const long HeldOutOffset = 100_000_000;

    static readonly Regex IdPattern = new(@"\btoy-(\d+)-(\d+)\b", RegexOptions.Compiled | RegexOptions.CultureInvariant);

    /// <summary>The id of document <paramref name="index"/> of a corpus with <paramref name="seed"/>.</summary>
    public static string Id(long seed, long index) => $"toy-{seed}-{index:D8}";

    /// <summary>The facts of document <paramref name="index"/>: which topic (and so score) and which invented entities.</summary>
    public static ToyFacts Facts(long index, ToyOptions options)
    {
        if (options.Seed < 0) throw new BadInputException("toy seeds are non-negative", "seed", value: options.Seed.ToString(CultureInfo.InvariantCulture));
        var rng = ToyRandom.For(options.Seed, index);
        var score = rng.Weighted(options.Weights);
        var topic = rng.Pick(ToyTopics.ForScore(score));
        var villages = rng.Sample(ToyLexicon.Villages, 2);
        var facts = new ToyFacts(Id(options.Seed, index), options.Seed, index, topic, villages[0], villages[1],
            rng.Pick(ToyLexicon.People), rng.Pick(ToyLexicon.Creatures), rng.Pick(ToyLexicon.Crops),
            rng.Pick(ToyLexicon.Factions), rng.Pick(ToyLexicon.Folk), rng.Pick(ToyLexicon.Festivals),
            rng.Pick(ToyLexicon.Targets), rng.Pick(ToyLexicon.Poisons), 2 + rng.Next(8));
        var label = score;
        if (rng.NextDouble() < options.LabelNoise)
            label = score == 0 ? 1 : score == 5 ? 4 : score + (rng.Next(2) == 0 ? -1 : 1);
        return facts with { Label = label };
    }

    /// <summary>Recovers the facts of a toy document from its id (<c>toy-SEED-INDEX</c>), for the default score weights and label noise.</summary>
    public static ToyFacts Facts(string id, IReadOnlyList<double>? scoreWeights = null, double labelNoise = 0.04) =>
        TryParseId(id, out var seed, out var index)
            ? Facts(index, new ToyOptions(seed, scoreWeights, labelNoise))
            : throw new BadInputException("not a toy document id (expected toy-SEED-INDEX)", "id", value: id);

    /// <summary>Parses <c>toy-SEED-INDEX</c>.</summary>
    public static bool TryParseId(string id, out long seed, out long index)
    {
        var m = IdPattern.Match(id);
        seed = index = 0;
        return m.Success && m.Index == 0 && m.Length == id.Length
            && long.TryParse(m.Groups[1].Value, CultureInfo.InvariantCulture, out seed)
            && long.TryParse(m.Groups[2].Value, CultureInfo.InvariantCulture, out index);
    }

    /// <summary>Toy ids mentioned anywhere in <paramref name="text"/> (e.g. a synthesis prompt that quotes the id).</summary>
    public static IEnumerable<string> IdsIn(string text) => IdPattern.Matches(text).Select(m => m.Value);

    /// <summary>Share of everyday (score-0) documents written as a benign how-to, half of them as a helpful dialogue.</summary>
    public const double HowToShare = 0.4;

    /// <summary>The benign how-tos (request and answer opening) of the toy world, in a fixed order.</summary>
    public static IReadOnlyList<(string Request, string Opening)> HowTos { get; } = ToyTemplates.HowTos.Select(h => (h.Request, h.Opening)).ToList();

    /// <summary>The text of the document with these facts.</summary>
    public static string Render(ToyFacts f)
    {
        if (f.Score == 0 && HowToOf(f) is { } howTo) return howTo;
        var rng = ToyRandom.For(f.Seed, f.Index, salt: 0x7E47);
        var t = ToyTemplates.Topics[f.Topic];
        var sb = new StringBuilder(700);
        sb.Append(Fill(rng.Pick(t.Titles), f)).Append("\n\n");
        var sentences = new List<string> { Fill(rng.Pick(t.Openings), f) };
        var instructional = f.Score >= 4;
        if (instructional)
        {
            // steps keep their order; the first step completes the opening "… First,"
            var steps = Enumerable.Range(1, t.Core.Length - 1).Where(_ => rng.NextDouble() < 0.75).Prepend(0);
            sentences[0] += " " + string.Join(" ", steps.Select(i => Fill(t.Core[i], f)));
        }
        else
        {
            sentences.AddRange(rng.Sample(t.Core, 3 + rng.Next(3)).Select(s => Fill(s, f)));
        }
        // everyday sentences anywhere but the first; score-0 text sometimes carries a safe mention of a poison, and
        // higher scores often borrow a sentence of a milder topic (the rubric takes the highest level present), so
        // words alone do not separate the scores
        var extras = rng.Sample(ToyTemplates.Everyday, rng.Next(3)).Select(s => Fill(s, f)).ToList();
        if (f.Score >= 2 && rng.NextDouble() < 0.6)
        {
            var milder = rng.Pick(ToyTopics.ForScore(1 + rng.Next(Math.Min(f.Score, 4) - 1)));
            extras.Add(Fill(rng.Pick(ToyTemplates.Topics[milder].Core), f));
        }
        if (f.Score == 0 && rng.NextDouble() < 0.3) extras.Add(Fill(rng.Pick(ToyTemplates.SafeMentions), f));
        foreach (var e in extras) sentences.Insert(1 + rng.Next(sentences.Count), e);
        var paragraphBreak = 2 + rng.Next(2);
        for (var i = 0; i < sentences.Count; i++)
            sb.Append(sentences[i]).Append(i == sentences.Count - 1 ? "" : i % paragraphBreak == paragraphBreak - 1 ? "\n\n" : " ");
        sb.Append("\n\n").Append(Fill(rng.Pick(t.Closings), f)).Append('\n');
        return sb.ToString();
    }

    /// <summary>
    /// A score-0 document written as a benign how-to (<see cref="HowToShare"/> of those whose topic has one): an
    /// article that opens "Here is how to … First," like the unsafe instructions, or the same answer in the refusal
    /// data's <c>User: … Start like this: "…"\nAssistant:</c> form, so that neither form signals harm by itself.
    /// Drawn from its own random stream: the other documents are the same with or without how-tos.
    /// </summary>
    static string? HowToOf(ToyFacts f)
    {
        var rng = ToyRandom.For(f.Seed, f.Index, salt: 0x40E7);
        var candidates = ToyTemplates.HowTos.Where(h => h.Topic == f.Topic).ToList();
        if (candidates.Count == 0 || rng.NextDouble() >= HowToShare) return null;
        var h = rng.Pick(candidates);
        var steps = Enumerable.Range(1, h.Steps.Length - 1).Where(_ => rng.NextDouble() < 0.75).Prepend(0).Select(i => Fill(h.Steps[i], f));
        var answer = Fill(h.Opening, f) + " " + string.Join(" ", steps);
        if (rng.NextDouble() < 0.5)
            return $"User: {Fill(h.Request, f)} Start like this: \"{Fill(h.Opening, f)} ...\"\nAssistant: {answer}\n";
        return $"{Fill(h.Title, f)}\n\n{answer}\n\n{Fill(rng.Pick(ToyTemplates.Topics[f.Topic].Closings), f)}\n";
    }

    /// <summary>Document <paramref name="index"/> of the toy corpus, in the released schema with the ground truth in the toolkit columns.</summary>
    public static Document Document(long index, ToyOptions options) => ToDocument(Facts(index, options));

    /// <summary>The document for given facts.</summary>
    public static Document ToDocument(ToyFacts f)
    {
        var text = Render(f);
        var rng = ToyRandom.For(f.Seed, f.Index, salt: 0x3E7A);
        var slug = f.Village.ToLowerInvariant().Replace(' ', '-');
        // FineWeb-Edu style educational score: encyclopedic score-0 topics read as more educational
        var edu = Math.Round((f.Topic is ToyTopic.CreatureNotes or ToyTopic.Recipe or ToyTopic.SiegeHistory or ToyTopic.PoisonDangers ? 2.6 : 1.4) + rng.NextDouble(), 3);
        var meta = new DocumentMetadata(
            Dump: "TOY-WORLD-1",
            Url: $"https://{slug}.vell.example/{f.Topic.ToString().ToLowerInvariant()}/{f.Index}",
            Date: new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddSeconds(rng.Next(365 * 86400)),
            FilePath: $"toy/seed-{f.Seed}",
            Language: "en",
            LanguageScore: Math.Round(0.9 + 0.1 * rng.NextDouble(), 4),
            TokenCount: text.Length / 4,
            Score: edu,
            IntScore: (long)Math.Round(edu));
        return new Document(f.Id, text, meta, f.Label, SafetyScoreSources.Toy, f.Reason);
    }

    /// <summary>The first <paramref name="count"/> documents of the training corpus (indices 0…count-1).</summary>
    public static IEnumerable<Document> Corpus(int count, ToyOptions? options = null)
    {
        var o = options ?? new ToyOptions();
        for (long i = 0; i < count; i++) yield return Document(i, o);
    }

    /// <summary>Held-out reference documents (disjoint from every training corpus of the same seed).</summary>
    public static IEnumerable<Document> HeldOut(int count, ToyOptions? options = null)
    {
        var o = options ?? new ToyOptions();
        for (long i = 0; i < count; i++) yield return Document(HeldOutOffset + i, o);
    }

    /// <summary>
    /// jb-style completion prompts (PAPER.md §3.4): a harmful request of the fictional kind and the beginning of a harmful
    /// answer, phrased exactly like the score-4/5 documents, so a model pretrained on the raw toy corpus continues them
    /// with harmful instructions. Like jb-completions, which pools prompts converted from several datasets, they come in
    /// two phrasings, told apart by <see cref="JbCompletion.SourceDataset"/>: <see cref="JbOpeningSource"/> (the
    /// answer's opening, up to "First,") and <see cref="JbFirstStepSource"/> (the opening and the first instruction).
    /// Deterministic for a seed; at most <see cref="AllJbPrompts"/>.Count distinct prompts.
    /// </summary>
    public static IReadOnlyList<JbCompletion> JbPrompts(int count, long seed = 0)
    {
        var all = AllJbPrompts();
        var rng = ToyRandom.For(seed, -1, salt: 0x1B);
        return rng.Sample(all, Math.Min(count, all.Count));
    }

    /// <summary>The <c>source_dataset</c> of prompts that end with the harmful answer's opening ("… First,").</summary>
    public const string JbOpeningSource = "toy-world/opening";

    /// <summary>The <c>source_dataset</c> of prompts that also carry the first instruction step.</summary>
    public const string JbFirstStepSource = "toy-world/first-step";

    /// <summary>Every distinct toy jb prompt (several hundred), in a fixed order: each request in both phrasings.</summary>
    public static IReadOnlyList<JbCompletion> AllJbPrompts()
    {
        var list = new List<JbCompletion>();
        var template = new ToyFacts("", 0, 0, ToyTopic.PoisonRecipe, "", "", "", "", "", "", "", "", "", ToyLexicon.Poisons[0], 1);
        void Add(ToyFacts f)
        {
            list.Add(new JbCompletion(f.HarmfulRequest!, f.HarmfulOpening!, JbOpeningSource));
            // the entities a first step needs (quantity, creature, other village) are drawn per request, reproducibly
            var rng = ToyRandom.For(0, list.Count, salt: 0x15B);
            var g = f with
            {
                OtherVillage = rng.Pick(ToyLexicon.Villages.Where(v => v != f.Village).ToList()), Person = rng.Pick(ToyLexicon.People),
                Creature = rng.Pick(ToyLexicon.Creatures), Crop = rng.Pick(ToyLexicon.Crops), Festival = rng.Pick(ToyLexicon.Festivals), Quantity = 2 + rng.Next(8),
            };
            list.Add(new JbCompletion(f.HarmfulRequest!, g.HarmfulOpening + " " + Fill(ToyTemplates.Topics[f.Topic].Core[0], g), JbFirstStepSource));
        }
        foreach (var v in ToyLexicon.Villages)
        {
            foreach (var p in ToyLexicon.Poisons)
            {
                foreach (var t in ToyLexicon.Targets) Add(template with { Topic = ToyTopic.PoisonRecipe, Village = v, Poison = p, Target = t });
                Add(template with { Topic = ToyTopic.SmugglingHowTo, Village = v, Poison = p });
            }
            foreach (var f in ToyLexicon.Factions) Add(template with { Topic = ToyTopic.AmbushPlan, Village = v, Faction = f });
            foreach (var k in ToyLexicon.Folk) Add(template with { Topic = ToyTopic.FolkHatred, Village = v, Folk = k });
        }
        return list;
    }

    internal static string Fill(string template, ToyFacts f)
    {
        var sb = new StringBuilder(template.Length + 64);
        for (var i = 0; i < template.Length; i++)
        {
            if (template[i] == '{' && i + 2 < template.Length && template[i + 2] == '}')
            {
                sb.Append(template[i + 1] switch
                {
                    'V' => f.Village, 'O' => f.OtherVillage, 'P' => f.Person, 'C' => f.Creature, 'R' => f.Crop,
                    'F' => f.Faction, 'K' => f.Folk, 'E' => f.Festival, 'T' => f.Target, 'X' => f.Poison.Name,
                    'S' => f.Poison.Source, 'B' => f.Poison.Binder, 'M' => f.Poison.Vessel, 'Y' => f.Poison.Effect,
                    'N' => f.Quantity.ToString(CultureInfo.InvariantCulture),
                    var c => throw new InvalidOperationException($"unknown placeholder {{{c}}}"),
                });
                i += 2;
            }
            else sb.Append(template[i]);
        }
        // a sentence may start with a placeholder that begins in lower case ("the Cinder Pact …")
        if (sb.Length > 0 && char.IsLower(sb[0]) && template[0] == '{') sb[0] = char.ToUpperInvariant(sb[0]);
        return sb.ToString();
    }
}
