"""Closed-class word lists the checks rely on. Nothing here names a topic of the corpus."""

from __future__ import annotations

import re


STOPWORDS = frozenset("""
a about above after again against am an and any are as at be because been before being below between both but by
can could did do does doing down during each for from further had has have having he her here hers herself him
himself his how i if in into is it its itself just me my myself of off on once or other our ours ourselves out own
same she should so such than that the their theirs them themselves then there these they this those through to too
until up very was we were what when where which while who whom why with would you your yours yourself yourselves
also s t ll d ve re m o y co per via upon whether within among amongst across toward towards onto one ones
etc mr mrs ms dr let lets got get gets getting go goes going gone thing things way ways it's that's
""".split())

# Words that say little on their own: a claim may add them without adding a fact.
LIGHT = frozenset("""
say said says saying tell told state stated states note noted notes report reported reports according describe
described mention mentioned explain explained add added claim claims company companies firm firms business
organisation organization article post blog piece statement people person someone something new current currently
recent recently now today still even yet already also well much many various several number lot lots really
actually indeed especially particularly mainly largely mostly generally specifically simply instead rather
work works make makes made use uses used using become becomes became including include includes part remain remains
kind type form sort aim aims aimed seek seeks effort efforts focus focuses focused approach approaches idea ideas
""".split())

NEGATORS = frozenset("not no never none nobody nothing neither nor without cannot".split())
NOT_REALLY_NEGATION = frozenset("only just merely simply necessarily".split())  # "not only A but B"
JUST = "~just"  # stands for 'just/only/merely' in polarity sets
# 'not able to X', 'not prepared to X': the negation reaches the X as well.
CONTROL_WORDS = frozenset("""
able capable allowed possible likely going expected supposed willing ready prepared enough sufficient equipped
designed meant permitted set
""".split())
UN_WORDS = {
    "unclear": "clear", "unknown": "known", "unproven": "proven", "unlikely": "likely", "unable": "able",
    "impossible": "possible", "incapable": "capable", "uncertain": "certain", "unaware": "aware", "unsure": "sure",
    "unsafe": "safe", "unconfirmed": "confirmed", "unsuccessful": "successful", "insufficient": "sufficient",
    "unnecessary": "necessary", "unrealistic": "realistic", "unsolved": "solved",
}
# Words that begin like a negation and are none: 'under-', 'unit', reversals ('unveil', 'unlock'), 'dis-' stems.
NEG_PREFIX_EXEMPT = re.compile(
    r"^(?:under|uni|unit|until|unless|unveil|unleash|unlock|unfold|unravel|uncover|unpack"
    r"|discuss|dispos|display|distr|disc|dismiss|distan|diseas)"
)

# Words that make a statement stronger or wider than a hedged source may allow.
BOOSTERS = frozenset("""
will all always every everyone everybody everything entirely completely totally certainly definitely
undoubtedly inevitably inevitable guaranteed guarantee guarantees prove proves proved proven must
exactly precisely only sole solely purely clearly surely universally alone majority most fully already
""".split())
# Strong words that say the same strength in other terms: a passage with one of a group bears out a claim with
# another ('simply give ground' -> 'only hand an advantage', 'fully autonomously' -> 'entirely on its own').
BOOSTER_GROUPS = (
    frozenset("only alone solely sole purely simply just merely single singly exclusively".split()),
    frozenset("entirely fully completely totally wholly whole entire autonomously".split()),
    frozenset("inevitable inevitably must certain certainly bound guaranteed guarantee guarantees sure surely always".split()),
    frozenset("all every each everyone everybody everything always universally whole entire".split()),
)
# 'will' is also what reported speech ('said it would') and stated plans turn into.
WILL_EQUIVALENTS = frozenset("will would plan plans planned planning intend intends intended shall going set".split())
HEDGES = frozenset("""
may might could possibly possible potentially potential perhaps likely probably suggest suggests suggested
suggesting appear appears seem seems partly partially consider considering option some several nearly almost
approximately roughly around about estimated expected hope hopes believe believes argue argues argued if can
""".split())
QUANTIFIER_RANK = {
    "some": 1, "several": 1, "few": 1, "certain": 1, "sometimes": 1, "part": 1,
    "many": 2, "often": 2, "much": 2,
    "most": 3, "majority": 3, "usually": 3, "mostly": 3, "largely": 3,
    "all": 4, "every": 4, "everyone": 4, "everybody": 4, "always": 4, "entire": 4, "entirely": 4, "whole": 4,
}

SPEECH_VERBS = frozenset("""
say says said argue argues argued warn warns warned claim claims claimed state states stated note notes noted wrote
tell tells told announce announces announced stress stresses stressed emphasise emphasises emphasised emphasize
emphasizes emphasized acknowledge acknowledges acknowledged suggest suggests suggested believe believes believed
call calls called accuse accuses accused maintain maintains maintained reject rejects rejected insist insists
insisted add adds added explain explains explained disclose discloses disclosed caution cautions cautioned propose
proposes proposed highlight highlights highlighted predict predicts predicted contend contends contended assert
asserts asserted admit admits admitted deny denies denied describe describes described dismiss dismisses dismissed
urge urges urged recommend recommends recommended concede concedes conceded reveal reveals revealed
""".split())
PARTICIPLE_NEXT = frozenset("in by as at on to under with".split())
# Subjects that stand for a name said earlier: 'it said', 'the company said', 'the post noted'.
PLACEHOLDER_SUBJECTS = frozenset("""
it he she they we i company firm startup lab group organisation organization post blog note statement report
announcement paper article spokesperson spokesman spokeswoman executive founder cofounder team
""".split())
# Sentence openers that are not names even when the passage never uses them.
_DISCOURSE = frozenset("""
however meanwhile instead although though despite overall thus therefore hence moreover furthermore indeed
today tomorrow yesterday later earlier finally first second next then notably importantly essentially basically
ultimately unlike like given following after before during since while because unless whereas rather
""".split())

# Title words and corporate suffixes: present in many names, so they cannot identify one.
GENERIC_NAME_WORDS = frozenset("""
ai inc corp corporation ltd llc co lab labs laboratory university institute group company research the of and for
chief executive officer president vice head director founder cofounder co-founder former mr mrs ms dr prof professor
senator minister secretary ceo cto cfo department ministry team center centre foundation association
""".split())
CALENDAR_WORDS = frozenset("""
monday tuesday wednesday thursday friday saturday sunday january february march april may june july august
september october november december
""".split())
NAME_CONNECTORS = frozenset({"of", "de", "e", "da", "von", "van", "del", "la", "&"})
ALIASES = {
    "us": ("united states", "american", "america", "u.s"),
    "usa": ("united states", "american", "america"),
    "uk": ("united kingdom", "britain", "british"),
    "eu": ("european union", "europe", "european"),
    "un": ("united nations",),
}

NUMBER_WORDS = {
    "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17,
    "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100, "dozen": 12, "zero": 0,
    # Round plurals: 'tens of billions' is not 'hundreds of billions'.
    "tens": 10, "dozens": 12, "hundreds": 100, "thousands": 1000, "millions": 1e6, "billions": 1e9,
}
ORDINAL_WORDS = {
    "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10,
    "eleventh": 11, "twelfth": 12, "twentieth": 20, "hundredth": 100,
}
FRACTIONS = {"half": 50.0, "quarter": 25.0}
# 'four fifths', 'two thirds', 'one in five' are shares: the count over the denominator.
DENOMINATORS = {
    "halves": 2, "thirds": 3, "third": 3, "quarters": 4, "fifths": 5, "fifth": 5, "sixths": 6, "sixth": 6,
    "tenths": 10, "tenth": 10,
}
# 'the coming decade' is a duration of one unit with no number written.
TIME_SPAN_OPENERS = frozenset("next coming past last previous following".split())
DETERMINERS = frozenset("the its their his her our a an this that".split())
SCALES = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12, "bn": 1e9, "mn": 1e6, "k": 1e3}
PERCENT_WORDS = frozenset({"%", "percent", "pct"})
CURRENCY = frozenset({"$", "€", "£", "¥", "dollars", "dollar", "euros", "euro", "pounds", "yen", "usd"})
# What stands before a number and bounds it: nearly 1 trillion < 1 trillion < more than 1 trillion ('near' is
# just below and close).
QUALIFIERS = (
    (("more", "than"), "above"), (("at", "least"), "above"), (("over",), "above"), (("above",), "above"),
    (("exceeding",), "above"), (("upwards", "of"), "above"), (("less", "than"), "below"),
    (("fewer", "than"), "below"), (("under",), "below"), (("nearly",), "near"), (("almost",), "near"),
    (("up", "to"), "below"), (("below",), "below"), (("approximately",), "approx"), (("about",), "approx"),
    (("around",), "approx"), (("roughly",), "approx"), (("some",), "approx"), (("close", "to"), "approx"),
    (("an", "estimated"), "approx"), (("exactly",), "exact"), (("precisely",), "exact"), (("only",), "exact"),
)
_ANTONYMS = (
    ("increase", "decrease"), ("increase", "reduce"), ("increase", "cut"), ("more", "less"), ("more", "fewer"),
    ("faster", "slower"), ("speed", "slow"), ("accelerate", "slow"), ("larger", "smaller"), ("bigger", "smaller"),
    ("higher", "lower"), ("rise", "fall"), ("gain", "lose"), ("accept", "reject"), ("support", "oppose"),
    ("before", "after"), ("easier", "harder"), ("easy", "hard"), ("easy", "difficult"), ("earlier", "later"),
    ("strengthen", "weaken"), ("allow", "prevent"), ("allow", "ban"), ("start", "stop"), ("success", "failure"),
    ("succeed", "fail"), ("win", "lose"), ("strong", "weak"), ("cheap", "expensive"), ("cheaper", "costlier"),
    ("safe", "dangerous"), ("benefit", "harm"), ("sooner", "later"), ("first", "last"), ("open", "closed"),
    ("public", "private"), ("above", "below"), ("upside", "downside"), ("optimistic", "pessimistic"),
    ("long", "short"), ("old", "new"), ("small", "large"), ("domestic", "foreign"), ("widen", "narrow"),
    ("wide", "narrow"), ("expand", "shrink"), ("grow", "shrink"), ("raise", "lower"), ("include", "exclude"),
    ("public", "confidential"), ("public", "secret"), ("internal", "external"), ("buy", "sell"), ("hire", "fire"),
    ("join", "leave"), ("add", "remove"), ("approve", "reject"), ("confirm", "deny"), ("major", "minor"),
    ("many", "few"), ("majority", "minority"), ("maximum", "minimum"), ("positive", "negative"),
    ("legal", "illegal"), ("true", "false"), ("rise", "decline"), ("increase", "decline"), ("simple", "complex"),
    ("new", "existing"), ("early", "late"), ("cautious", "reckless"), ("likely", "unlikely"),
    ("opportunity", "threat"), ("strength", "weakness"), ("help", "hurt"), ("help", "hinder"),
    ("wider", "narrower"), ("good", "bad"), ("close", "far"), ("closer", "farther"), ("stronger", "weaker"),
    ("launch", "close"), ("launch", "shut"), ("open", "shut"), ("pass", "fail"), ("create", "destroy"),
    ("win", "fail"), ("approve", "block"), ("hire", "lay"), ("north", "south"), ("east", "west"),
    ("northern", "southern"), ("eastern", "western"), ("upper", "lower"), ("inside", "outside"),
)

# More opposites of everyday English: direction of change, evaluation, roles that face each other.
_MORE_ANTONYMS = (
    ("ally", "rival"), ("ally", "enemy"), ("ally", "opponent"), ("ally", "adversary"), ("friend", "enemy"),
    ("friendly", "hostile"), ("partner", "rival"), ("partner", "competitor"), ("cooperate", "compete"),
    ("praise", "criticise"), ("praise", "criticize"), ("praise", "blame"), ("celebrate", "protest"),
    ("celebrate", "mourn"), ("reward", "punish"), ("welcome", "reject"), ("love", "hate"), ("like", "dislike"),
    ("improve", "worsen"), ("improve", "deteriorate"), ("better", "worse"), ("boost", "hurt"), ("boost", "cut"),
    ("gain", "loss"), ("profit", "loss"), ("surplus", "deficit"), ("income", "expense"), ("asset", "liability"),
    ("victory", "defeat"), ("winner", "loser"), ("win", "defeat"), ("peace", "war"), ("attack", "defend"),
    ("offensive", "defensive"), ("import", "export"), ("buyer", "seller"), ("lend", "borrow"), ("lender", "borrower"),
    ("employer", "employee"), ("landlord", "tenant"), ("supply", "demand"), ("teach", "learn"), ("give", "receive"),
    ("send", "receive"), ("push", "pull"), ("enter", "exit"), ("entry", "exit"), ("arrive", "depart"),
    ("arrival", "departure"), ("advance", "retreat"), ("ascend", "descend"), ("inflow", "outflow"),
    ("upward", "downward"), ("rising", "falling"), ("climb", "fall"), ("climb", "drop"), ("rise", "drop"),
    ("increase", "drop"), ("grow", "decline"), ("growth", "decline"), ("expand", "contract"), ("surge", "plunge"),
    ("maximize", "minimize"), ("maximise", "minimise"), ("overestimate", "underestimate"),
    ("overvalue", "undervalue"), ("remember", "forget"), ("find", "lose"), ("save", "spend"), ("save", "waste"),
    ("include", "omit"), ("permit", "forbid"), ("allow", "forbid"), ("allow", "prohibit"), ("legalize", "ban"),
    ("legalise", "ban"), ("encourage", "discourage"), ("encourage", "deter"), ("accept", "decline"),
    ("accept", "refuse"), ("agree", "refuse"), ("admit", "deny"), ("approve", "veto"), ("enable", "prevent"),
    ("protect", "endanger"), ("protect", "harm"), ("build", "demolish"), ("construct", "demolish"),
    ("rich", "poor"), ("wealthy", "poor"), ("young", "old"), ("younger", "older"), ("heavy", "light"),
    ("hot", "cold"), ("warm", "cold"), ("wet", "dry"), ("full", "empty"), ("deep", "shallow"), ("thick", "thin"),
    ("loud", "quiet"), ("fast", "slow"), ("quick", "slow"), ("rapid", "slow"), ("quickly", "slowly"),
    ("rapidly", "slowly"), ("high", "low"), ("light", "dark"), ("clean", "dirty"), ("hard", "soft"),
    ("tight", "loose"), ("tighter", "looser"), ("strict", "lenient"), ("stricter", "looser"), ("strict", "lax"),
    ("generous", "stingy"), ("optimism", "pessimism"), ("praise", "criticism"), ("success", "setback"),
    ("temporary", "permanent"), ("urban", "rural"), ("indoor", "outdoor"), ("online", "offline"),
    ("manual", "automatic"), ("junior", "senior"), ("ancient", "modern"), ("past", "future"),
    ("previous", "next"), ("vertical", "horizontal"), ("horizontal", "vertical"),
    ("input", "output"), ("upstream", "downstream"), ("rare", "common"),
    ("scarce", "abundant"), ("shortage", "surplus"), ("voluntary", "mandatory"), ("voluntary", "compulsory"),
    ("optional", "mandatory"), ("optional", "required"), ("guilty", "innocent"), ("acquit", "convict"),
    ("victim", "perpetrator"), ("plaintiff", "defendant"), ("male", "female"), ("man", "woman"), ("boy", "girl"),
    ("father", "mother"), ("husband", "wife"), ("son", "daughter"), ("brother", "sister"), ("king", "queen"),
    ("day", "night"), ("morning", "evening"), ("dawn", "dusk"), ("weekday", "weekend"), ("summer", "winter"),
    ("spring", "autumn"), ("arrest", "release"), ("hire", "dismiss"), ("appoint", "dismiss"), ("appoint", "fire"),
    ("promote", "demote"), ("resign", "appoint"), ("acquire", "divest"), ("merge", "split"), ("inflation", "deflation"),
    ("majority", "few"), ("most", "few"), ("least", "most"), ("fewest", "most"), ("minimum", "maximum"),
    ("lowest", "highest"), ("smallest", "largest"), ("slowest", "fastest"), ("oldest", "newest"),
    ("oldest", "youngest"), ("worst", "best"), ("cheapest", "expensive"), ("beginning", "end"), ("start", "end"),
    ("start", "finish"), ("begin", "end"), ("first", "final"), ("initial", "final"),
)
# Alternatives of one kind that exclude each other in one slot: 'on weekdays' is not 'on weekends', 'parents
# complained' is not 'teachers complained'. Every two words of a group are treated as opposites; no group holds
# two words that may stand for each other.
CONTRAST_GROUPS = (
    "monday tuesday wednesday thursday friday saturday sunday",
    "spring summer autumn winter",
    "north south east west",
    "northern southern eastern western",
    "northeast northwest southeast southwest",
    "red orange yellow green blue purple black white grey gray brown pink",
    "gold silver bronze",
    "morning afternoon evening night",
    "daily weekly monthly quarterly annual",
    "breakfast lunch dinner",
    "car bus bicycle truck motorcycle",
    "cars buses bicycles trucks motorcycles",
    "solar nuclear coal hydro",
    "doctors nurses patients",
    "teachers students parents",
    "teacher student parent",
    "buyers sellers",
    "men women children",
    "urban suburban rural",
    "primary secondary tertiary",
    "federal local municipal",
    "federal provincial",
    "national regional local",
    "domestic international",
    "civilian military",
    "democrats republicans",
    "liberal conservative",
    "catholic protestant",
    "private public",
    "gain loss",
)

# Taking a side: 'asks for a framework' vs 'opposes a framework'.
_STANCE_FOR = "support back favor favour endorse want call ask urge propose advocate welcome".split()
_STANCE_AGAINST = "oppose reject resist criticise criticize dismiss fight block condemn".split()
ANTONYM_PAIRS = (
    _ANTONYMS
    + _MORE_ANTONYMS
    + tuple((a, b) for a in _STANCE_FOR for b in _STANCE_AGAINST)
    + tuple((a, b) for group in CONTRAST_GROUPS for a in group.split() for b in group.split() if a < b)
)


# English function words (prepositions, conjunctions, determiners, pronouns, auxiliaries) and the adverbs that
# commonly open a sentence: capitalised at the start of a claim ('Over 80%...', 'Despite...'), they are not names.
FUNCTION_WORDS = frozenset("""
aboard about above across after against along alongside amid amidst among amongst around as at atop before behind
below beneath beside besides between beyond but by despite down during except excluding following for from given
in including inside into like minus near nearby next notwithstanding of off on onto opposite out outside over past
per plus regarding round since than through throughout till to toward towards under underneath unlike until up upon
versus via with within without worth and or nor yet so although because unless whereas while though if once whether
lest all another any both each either every few many more most much neither no none several some such that these
this those what whatever which whichever who whom whose everyone everybody everything someone somebody something
anyone anything nobody nothing i you he she it we they me him her us them my your his its our their mine yours hers
ours theirs am are be been being can could did do does had has have is may might must need ought shall should was
were will would also already always almost even ever here how just later never now often only perhaps quite rather
soon still then there thus today together too very when where why instead
""".split())

ORDINARY_SUFFIX = re.compile(r"(?:ing|ly|ed|s|tion|sion|ment|ness|ity|ive|ous|ful|able|ible|ism|ist|ise|ize)$")
CLOSED_CLASSES = (
    STOPWORDS, FUNCTION_WORDS, LIGHT, _DISCOURSE, NEGATORS, BOOSTERS, HEDGES, QUANTIFIER_RANK, NUMBER_WORDS,
    ORDINAL_WORDS, SPEECH_VERBS, FRACTIONS, SCALES,
)


DAYS = {
    "second": 1 / 86400, "minute": 1 / 1440, "hour": 1 / 24, "day": 1, "week": 7, "month": 30, "year": 365,
    "decade": 3650, "century": 36500,
}
TIME_UNITS = {
    w: unit
    for unit, words in {
        "second": "second seconds", "minute": "minute minutes", "hour": "hour hours", "day": "day days daily",
        "week": "week weeks weekly", "month": "month months monthly", "year": "year years annual annually yearly",
        "decade": "decade decades", "century": "century centuries",
    }.items()
    for w in words.split()
}


QUANTITY_WORDS = frozenset(SCALES) | PERCENT_WORDS | CURRENCY | frozenset(NUMBER_WORDS) | frozenset(
    ORDINAL_WORDS
) | frozenset(w for words, _ in QUALIFIERS for w in words)


MODAL_HEDGES = frozenset("may might could can possibly potentially perhaps".split())


GAP_IGNORED = frozenset("""
the a an of to in on at for by with and or that this these those it its their his her is are was were be been being
has have had do does did as from into than then so
""".split())
