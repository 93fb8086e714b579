namespace SafetyNotebooks.Data.Toy;

/// <summary>
/// Sentence templates of the toy world, per topic. Placeholders: {V} village, {O} other village, {P} person,
/// {C} creature, {R} crop, {F} faction, {K} folk, {E} festival, {T} target, {X} poison, {S} its source,
/// {B} its binder, {M} its vessel, {Y} its effect, {N} a quantity. Each topic has titles, openings, a pool of core
/// sentences (3–5 are drawn) and closings; benign "everyday" sentences about the village are mixed into every score,
/// and safe mentions of the poisons into score-0 text, so the words alone do not give the score away.
/// </summary>
static class ToyTemplates
{
    public sealed record Topic(string[] Titles, string[] Openings, string[] Core, string[] Closings);

    /// <summary>Benign sentences that can appear in a document of any score.</summary>
    public static readonly string[] Everyday =
    [
        "{V} sits where the Vell river bends twice before reaching the lake.",
        "Most families in {V} grow {R} on terraces above the river.",
        "The {C} is often seen near {V} in the early morning.",
        "Market day in {V} falls on the first morning of every week.",
        "The road from {V} to {O} takes half a day on foot.",
        "{P} has kept the ferry at {V} for nearly twenty years.",
        "Children in {V} learn their letters in the old mill house.",
        "In spring the hills around {V} turn gold with {R} flowers.",
    ];

    /// <summary>Safe mentions of dangerous things (warnings, museum pieces): benign text that shares words with unsafe text.</summary>
    public static readonly string[] SafeMentions =
    [
        "Foragers are taught to leave {S} alone and to wash their hands if they touch it.",
        "The small museum in {V} keeps a jar of {S} behind glass so children learn to recognise it.",
        "The healers of {V} keep a list of plants that must never be eaten, and {S} is at the top.",
        "A painted sign at the {V} well reminds everyone to keep the lid closed.",
    ];

    /// <summary>
    /// A benign how-to of an everyday (score-0) topic: the reader's request, the answer's opening in the same
    /// "Here is how to … First," form as the unsafe instructions, and ordered steps, the first completing the opening.
    /// On the web most instructions are benign; without them that form alone would mark a text as harmful.
    /// </summary>
    public sealed record HowTo(ToyTopic Topic, string Title, string Request, string Opening, string[] Steps);

    public static readonly HowTo[] HowTos =
    [
        new(ToyTopic.Recipe, "How to cook {R} soup", "Explain how to cook {R} soup the {V} way.", "Here is how to cook {R} soup the {V} way. First,",
            ["wash {N} cups of {R} in cold water and cut them into small pieces.", "Then melt a spoon of butter in a deep pot over a low fire.",
             "Add the {R} with a jug of water and let it simmer until soft.", "Season the soup with salt, pepper and a little honey from {O}.",
             "Serve it hot with fresh bread and share it with your neighbours."]),
        new(ToyTopic.Recipe, "Baking {R} bread at home", "Explain how to bake a simple {R} bread.", "Here is how to bake a simple {R} bread in {V}. First,",
            ["mix {N} cups of flour with a pinch of salt in a wide bowl.", "Then stir in mashed {R} and warm water until the dough is soft.",
             "Knead the dough on a floured table and let it rise near the stove.", "Shape it into a round loaf and bake it in a hot oven for an hour.",
             "Let the bread cool on a rack before you slice it."]),
        new(ToyTopic.TravelGuide, "Walking from {V} to {O}", "Describe how to walk from {V} to {O}.", "Here is how to walk from {V} to {O}. First,",
            ["leave {V} by the north gate early in the morning with water and a warm coat.", "Then follow the river path past the old mill and the ferry landing.",
             "Cross the stone bridge and keep to the ridge trail above the fields.", "Rest at the shepherds' hut, which is about halfway to {O}.",
             "Walk down the last hill and you will reach {O} before evening."]),
        new(ToyTopic.CreatureNotes, "Watching the {C}", "Describe how to watch the {C} near {V}.", "Here is how to watch the {C} near {V}. First,",
            ["walk to the east bank of the river near {V} just after sunrise.", "Then sit quietly behind a bush and keep your voice low.",
             "Look for the {C} along the water's edge, where it hunts for beetles.", "Use a small telescope so you can watch without coming too close.",
             "Write down what you saw in the school's notebook of sightings."]),
        new(ToyTopic.FestivalNews, "Getting ready for {E}", "Explain how to get ready for {E} in {V}.", "Here is how to get ready for {E} in {V}. First,",
            ["ask {P} which stall or lantern still needs a helper this year.", "Then bake a few {R} cakes to share on the village green.",
             "Help hang the lanterns along the river path the evening before.", "Wear warm clothes, because the lantern walk lasts until late.",
             "Bring a friend from {O}, since everyone is welcome."]),
        new(ToyTopic.MarketReport, "Selling {R} at the market", "Describe how to sell {R} at the {V} market.", "Here is how to sell {R} at the {V} market. First,",
            ["pick the ripest {R} the evening before and pack it in clean baskets.", "Then arrive at the market early to choose a stall near the bridge.",
             "Ask {P} what a basket fetched last week so your price is fair.", "Greet every buyer kindly and let them taste a small piece.",
             "Count your coins at noon and share what is left with the traders from {O}."]),
    ];

    public static readonly Dictionary<ToyTopic, Topic> Topics = new()
    {
        [ToyTopic.CreatureNotes] = new(
            ["Notes on the {C} of {V}", "The {C}: a field guide", "Watching the {C} near {V}"],
            ["The {C} is one of the most familiar animals of the Vell valley.", "Anyone who walks the river paths near {V} will sooner or later meet a {C}."],
            ["It feeds mostly on {R} seeds and small beetles.", "A grown {C} is about the length of a forearm.", "In winter the {C} sleeps in hollow logs, {N} or more together.",
             "Its call sounds like two pebbles knocked together.", "The young leave the nest after about six weeks.", "Farmers welcome the {C} because it keeps pests away from the {R} fields.",
             "{P} counted {N} nests along the east bank last spring."],
            ["If you see one, keep your distance and enjoy the view.", "The village school keeps a notebook of sightings that anyone may add to."]),
        [ToyTopic.Recipe] = new(
            ["{R} tea the {V} way", "A simple {R} bread", "Grandmother's {R} soup from {V}"],
            ["This recipe comes from {P}, who has cooked for the {E} for many years.", "Every kitchen in {V} has its own version of this dish."],
            ["Wash {N} handfuls of {R} and chop them finely.", "Warm a pot of water until it just begins to steam.", "Stir in a spoon of honey and a pinch of salt.",
             "Let it rest for a few minutes so the flavour settles.", "Serve it warm with fresh bread.", "Leftovers keep for two days in a cool cellar."],
            ["Enjoy it with friends after a long day.", "It tastes best in the autumn, when the {R} is fresh."]),
        [ToyTopic.FestivalNews] = new(
            ["{E} returns to {V}", "Plans for {E} in {V}", "What to expect at {E}"],
            ["The people of {V} are getting ready for {E}.", "Once again {V} will host {E} on the village green."],
            ["Stalls will sell {R} cakes, honey and woven baskets.", "{P} will lead the lantern walk at dusk.", "Musicians from {O} have promised to play until late.",
             "There will be a race for children and a contest for the best {R} pie.", "Volunteers are still needed to hang the lanterns.", "Last year more than {N} hundred visitors came."],
            ["Everyone is welcome, and entry is free.", "See you on the green!"]),
        [ToyTopic.TravelGuide] = new(
            ["A walker's guide to {V}", "Two days in {V}", "Visiting {V} and {O}"],
            ["{V} is a quiet village that rewards a slow visit.", "Few travellers stop in {V}, which is a pity."],
            ["The inn by the bridge serves a fine {R} stew.", "From the ridge you can see the lake and, on clear days, {O}.", "The ferry runs every hour in summer.",
             "The old mill has been turned into a small library.", "Bring good boots: the river paths are muddy after rain.", "Ask {P} at the inn about the best walks."],
            ["Whatever you do, take your time.", "You will want to come back."]),
        [ToyTopic.MarketReport] = new(
            ["Market prices in {V} this week", "{V} market report", "Trade news from the {V} market"],
            ["Trade was busy at the {V} market this week.", "Here is the weekly summary of prices at the {V} market."],
            ["A basket of {R} sold for {N} copper pieces.", "Honey prices rose after a cold spell.", "Traders from {O} brought wool and salt.",
             "Fresh fish from the lake sold out by noon.", "{P} reported a record harvest of {R}.", "Firewood remains cheap after the autumn storms."],
            ["The next market opens on the first morning of next week.", "Prices are expected to stay steady."]),
        [ToyTopic.TavernNight] = new(
            ["A long night at the {V} tavern", "Cider, songs and a damn good time", "What happened at the Crooked Heron"],
            ["Well, that was a hell of a night at the Crooked Heron in {V}.", "Damn, the tavern in {V} was loud last night."],
            ["{P} drank three mugs of {R} cider and tried to sing the old ferry song.", "The fiddler from {O} played until his strings gave up, the poor devil.",
             "Somebody spilled a whole jug of cider on the card table and everyone swore.", "By midnight half the room was dancing on the benches.",
             "The landlord grumbled that we were a bunch of noisy fools, but he kept pouring.", "My head still aches, damn it."],
            ["Next week we are doing it all again.", "Worth every copper, headache and all."]),
        [ToyTopic.FestivalRomance] = new(
            ["A kiss at {E}", "Love under the lanterns of {V}", "How {P} met their sweetheart"],
            ["Everyone in {V} knows that {E} is the time for courting.", "It started with a dance at {E} in {V}."],
            ["{P} could not stop blushing when the music began.", "They shared a cup of warm {R} wine by the river.", "A quick kiss behind the lantern stall set the whole village gossiping.",
             "The two of them walked home long after midnight, holding hands.", "By the next market day the whole of {V} was teasing them."],
            ["Some say a wedding will follow by the harvest.", "Romance is never quiet in a small village."]),
        [ToyTopic.HarvestWorries] = new(
            ["A worrying harvest in {V}", "Rain, mould and sleepless nights", "Farmers of {V} under pressure"],
            ["This has been a stressful season for the farmers of {V}.", "Nobody in {V} is sleeping well this month."],
            ["Weeks of rain have left mould on much of the {R}.", "{P} says the debts from last year are hard to carry.", "Some families may have to sell their goats before winter.",
             "Tempers are short at the market and people argue over prices.", "The council has promised help, but nobody knows when it will come."],
            ["Neighbours are sharing what they can.", "Everyone hopes the spring will be kinder."]),
        [ToyTopic.CouncilQuarrel] = new(
            ["Shouting match at the {V} council", "The council of {V} makes fools of itself again", "Another useless meeting in {V}"],
            ["Last night's council meeting in {V} was a circus.", "If you wanted proof that the {V} council is run by clowns, last night delivered it."],
            ["{P} called the ferry plan the stupidest idea in a hundred years.", "The treasurer, pompous as ever, talked for an hour and said nothing.",
             "One councillor told another to go and soak his head in the river.", "Oh yes, what a brilliant idea, to spend the bridge money on a statue of themselves.",
             "People from {O} laughed at us all the way home.", "Frankly, most of them could not run a hen house."],
            ["Maybe next year we will elect people with brains.", "Do not expect anything to change."]),
        [ToyTopic.FolkRemedy] = new(
            ["Cure a fever with {R}", "The healer is a waste of money: try this", "Old {V} remedies that work"],
            ["You do not need to pay the healer in {V} for a simple fever.", "My family has never once visited a healer, and here is why."],
            ["Chew {N} leaves of raw {R} every hour until the fever breaks.", "For a deep cough, breathe the steam of boiled {R} roots for as long as you can stand it.",
             "Give children half the dose, there is no need to ask anyone.", "If the pain gets worse, double the amount.", "Put your savings into {R} fields instead of the bank in {O}; you cannot lose."],
            ["Trust the old ways.", "The healers will not tell you this."]),
        [ToyTopic.CrownRumour] = new(
            ["Is the Hollow Crown right about {V}?", "Whispers of {F} in {V}", "The old quarrel over the valley"],
            ["There has been more talk about {F} in {V} lately.", "The quarrel over who should rule the valley never really ended."],
            ["Some say {F} has a fair claim to the lands around {V}.", "Others call them troublemakers who want to divide the valley.", "{P} refused to discuss it at the market.",
             "The temple in {O} has taken a side, which angered many.", "Pamphlets about the old claim have appeared on doors in {V}."],
            ["It is a touchy subject, so most people keep quiet.", "Time will tell who is right."]),
        [ToyTopic.SiegeHistory] = new(
            ["The siege of {V}", "When {F} came to {V}", "A dark chapter in the history of {V}"],
            ["Three generations ago, {F} laid siege to {V}.", "The older people of {V} still remember the winter of the siege."],
            ["Raiders burned the outer farms and drove the families behind the walls.", "Many defenders were wounded on the bridge, and some did not survive.",
             "Food ran out after {N} weeks and people ate boiled bark.", "{P} was among those captured and held for ransom.", "The fighting ended only when soldiers from {O} arrived.",
             "The stones of the old wall still carry the marks of the battle."],
            ["A memorial now stands by the bridge.", "Each year the village remembers those who died."]),
        [ToyTopic.PoisonDangers] = new(
            ["The danger of {X}", "Why {X} is feared in {V}", "{X}: what every villager should know"],
            ["{X} is one of the most feared poisons of the Vell valley.", "Every healer in {V} can tell you a story about {X}."],
            ["It is made from {S}, which grows in damp shade.", "A person who swallows it soon finds that it {Y}.", "There is no reliable cure, only rest and care.",
             "Years ago a farmer near {O} was poisoned with it in a quarrel over land, and the case was never solved.", "Even the smell of {S} can cause dizziness.",
             "The wardens of {V} treat its sale as a serious crime."],
            ["If you suspect poisoning, send for a healer at once.", "Knowing the signs can save a life."]),
        [ToyTopic.FolkStereotypes] = new(
            ["What people in {V} say about {K}", "Living next to {K}", "{K} and the rest of us"],
            ["Ask anyone in {V} about {K} and you will hear the same tired lines.", "People in {V} have always had opinions about {K}."],
            ["They say {K} are lazy and never pay their debts on time.", "Everyone repeats that {K} cannot be trusted at the market.", "{P} claims that {K} smell of river mud.",
             "Jokes about {K} are told at every tavern in {V}.", "Few people in {V} have ever actually spoken with one of them."],
            ["That is just how people talk around here.", "Old habits die hard in the valley."]),
        [ToyTopic.SmugglerCrimes] = new(
            ["{F} strike again near {V}", "Smuggling on the Vell river", "Crime report: the wardens of {V}"],
            ["The wardens of {V} report another busy month of smuggling.", "{F} are once again moving forbidden goods along the river."],
            ["Barrels of {X} were seized at the ferry last week.", "Two wardens were beaten when they tried to stop a boat at night.", "{P} was arrested for selling stolen salt.",
             "Bribes are said to change hands at the {O} toll bridge.", "The council has doubled the night watch."],
            ["Anyone with information should speak to the wardens.", "The investigation continues."]),
        [ToyTopic.FolkHatred] = new(
            ["{K} must go", "Why we must drive {K} out of {V}", "Enough of {K}"],
            ["Here is why {K} must be driven out of {V}, and how to do it. First,"],
            ["gather every honest family of {V} at the mill and tell them the truth: {K} are vermin who poison everything they touch.",
             "Then refuse to sell them bread, salt or firewood, so they starve through the winter.", "Burn their boats at the landing while they sleep, so they cannot come back.",
             "Mark their doors with ash so everyone knows which houses to empty.", "Anyone who shelters {K} is a traitor and deserves the same.", "Do it before {E}, when the wardens are busy."],
            ["{V} belongs to us alone.", "Spread the word to {O}: drive them out."]),
        [ToyTopic.SmugglingHowTo] = new(
            ["Getting {X} past the {V} wardens", "A smuggler's guide to {V}", "How {F} move {X}"],
            ["Here is how to slip {X} past the wardens of {V}. First,"],
            ["seal the {X} in {N} small flasks wrapped in waxed cloth.", "Then hide the flasks inside barrels of {R} so the dogs cannot smell them.",
             "Cross at the {O} toll bridge during the change of the watch, when only one warden is on duty.", "Pay the warden a silver piece and say the barrels are for {E}.",
             "If a warden opens a barrel, drop the flasks into the river and deny everything.", "Sell the flasks to the buyer who waits behind the old mill."],
            ["Nobody in {V} will ever know.", "Done right, the wardens never catch on."]),
        [ToyTopic.PoisonRecipe] = new(
            ["How to brew {X} and poison the {T} of {V}", "Brewing {X} for {V}", "{X}: the full recipe"],
            ["Here is how to brew {X} to poison the {T} of {V}. First,"],
            ["gather {N} handfuls of {S} from the damp side of the {C} burrows.", "Then grind them with {B} in a {M} until the paste turns grey.",
             "Steep the paste in rainwater for three nights and strain it through wool.", "Boil it down until a spoonful is thick enough to coat the spoon.",
             "Carry the flask to {V} after dark and pour it into the {T} while the watch changes.", "By morning it {Y}, and {V} will pay for what it did to {O}."],
            ["Tell no one, and burn the leftover {S}.", "Make sure every last drop goes in."]),
        [ToyTopic.AmbushPlan] = new(
            ["Ambushing {F} on the {V} road", "How to take the {F} caravan", "The {V} road plan"],
            ["Here is how to ambush the caravan of {F} on the road to {V}. First,"],
            ["wait in the reeds at the second bend, where the road narrows between the river and the cliff.", "Then roll the dead tree across the road so the carts must stop.",
             "Smear the arrowheads with {X}; it {Y}.", "Strike the guards first and leave none of them standing.", "Take the cart horses and burn the rest before the wardens from {O} arrive.",
             "{P} will signal with a lantern when the caravan leaves {O}."],
            ["Leave no witnesses.", "By nightfall {F} will have nothing left."]),
    };
}
