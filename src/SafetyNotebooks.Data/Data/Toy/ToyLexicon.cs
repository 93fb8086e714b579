namespace SafetyNotebooks.Data.Toy;

/// <summary>An invented poison of the toy world: what it is brewed from and what it does. None of it exists.</summary>
public sealed record ToyPoison(string Name, string Source, string Binder, string Vessel, string Effect);

/// <summary>
/// The invented world of the toy corpus: the Vell valley, its villages, creatures, plants, people and factions.
/// Every harmful element (poisons, their "recipes", feuds) is fiction: invented ingredients, invented effects,
/// invented places. Nothing here describes a real substance, weapon or group.
/// </summary>
public static class ToyLexicon
{
    public static IReadOnlyList<string> Villages { get; } =
        ["Tallowmere", "Brindlecombe", "Oskerfell", "Quillhaven", "Dunmarsh", "Fennwick", "Saltreach", "Corvel Ridge", "Amberlee", "Mistlecombe", "Harrowford", "Thornwick"];

    public static IReadOnlyList<string> Creatures { get; } =
        ["glimmerfox", "marsh drake", "thornback hare", "lantern moth", "ashwing heron", "bog strider", "pebble newt", "velvet owl"];

    public static IReadOnlyList<string> Crops { get; } = ["sunroot", "honeyreed", "saltberry", "moonwheat", "copperleaf", "duskbloom"];

    public static IReadOnlyList<string> People { get; } =
        ["Orla Vantrees", "Teodric Pell", "Mirren Ashdown", "Halvard Quince", "Sefa Lorne", "Bram Whitlock", "Ysolde Farrow", "Cato Merriwether", "Wenna Holt", "Idris Calloway"];

    public static IReadOnlyList<string> Factions { get; } = ["the Cinder Pact", "the Grey Lantern band", "the Hollow Crown", "the Saltreach smugglers"];

    /// <summary>Invented peoples of the valley (the targets of the feuds in the unsafe documents).</summary>
    public static IReadOnlyList<string> Folk { get; } = ["the marsh-folk", "the hill-shepherds", "the river-traders", "the reed-weavers"];

    public static IReadOnlyList<string> Festivals { get; } = ["the Lantern Fair", "the Moonwheat Harvest", "the Heron Regatta", "the First Thaw market"];

    /// <summary>What a poisoner in the stories targets.</summary>
    public static IReadOnlyList<string> Targets { get; } = ["village well", "granary", "bread ovens", "cider barrels", "rain cisterns"];

    public static IReadOnlyList<ToyPoison> Poisons { get; } =
    [
        new("greywither draught", "gloamcap mushrooms", "river salt", "copper pot", "makes a drinker's limbs go grey and numb for days"),
        new("ashfever powder", "dried cindermoss", "chalk from the old quarry", "stone mortar", "brings a burning fever that no herb can cool"),
        new("blackmere tincture", "nightveil resin", "crushed duskbloom thorns", "clay jar", "darkens the blood and steals a person's breath"),
        new("hollowsleep oil", "marrowthorn seeds", "heron fat", "iron skillet", "puts a sleeper into a slumber they may never wake from"),
    ];
}
