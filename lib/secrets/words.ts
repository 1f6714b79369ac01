/**
 * @module
 * Common English and programming words of five letters or more. A value assigned to a
 * secret-sounding name that holds one of them (`AgencyIdentificationCode`,
 * `hello-world-token`) is far more often a name or a sentence than a random secret:
 * the generic rule lets such values be.
 */

export const STOPWORDS: readonly string[] = `
about above access account action active actual added address admin after again agency
against agent alert algorithm alias allow alpha always amount analysis android another
answer apple application apply approve array article assert asset async attach attempt
audio author autho avatar backup badge balance banana basic batch before begin behavior
below better between billing binary blank block board body bottom bound branch bread
break bridge browser bucket buffer build button bytes cache calendar callback camera
cancel canvas capture cards carrier catalog category center chain change channel chapter
char check child choice chrome circle class clean clear click client clock close cloud
cluster coffee collection color column combo command comment commit common company
compare compile complete component compute concat config confirm connect console
constant contact contain content context control cookie copy count country cover create
credit crypto current cursor custom customer daily dance dashboard database debug decimal
decode default define delay delete delta demo deploy depth description design detail
device dialog digit direct disable display document domain double download draft drive
driver dummy dynamic early editor email empty enable encode engine enter entity entry
equal error event every exact example exception execute exist expect export extend
extra factory false family feature field figure filter final finance first float flower
folder follow footer force format forward frame friend front function gallery game
garden general generate global google graph green group guest handle handler happy
header hello helper hidden history holder home hotel house human identity identification image import index
info initial input insert install instance integer intent internal invalid invoice issue
item javascript journal label language large layout leave legacy level library light
limit linear link list listener little local location logger login logout lower machine
magic mail major manager manual mapping market master match matrix member memory menu
merge message method middle minor mobile model module money month mouse movie music
native network never night nodes normal notice number object office offset online option
order origin other output owner package page panel paper param parent parse partial party
password path pattern payment people period person phone photo picture pixel place plain
plant player please plugin point policy popup portal position power prefix preview price
primary print private process product profile program project promise property provider
proxy public query queue quick radio random range reader ready record redirect reference
refresh region register release remote remove render repeat reply report request require
reset resource response result return review right river route router sample save scale
schema scope screen script search second section secure select sender server service
session setting shadow shape share sheet shell short should simple single small smart
social socket source space special split sport stack stage standard start state static
status storage store stream string style subject submit success summer super support
switch symbol system table target task template tenant test text theme thing ticket timer
title today token toolbar topic total track traffic transfer tree trigger type under
unique unit update upload user utility valid value vendor version video view virtual
visit water weather webhook week welcome widget width window winter with without word
work world wrapper write year yellow
`.split(/\s+/).filter((w) => w.length >= 5);

/**
 * Pairs of letters found in ten or more of the English words common to this machine's
 * documentation when they were counted (the licences, `/usr/share/doc` and the first
 * section of the manual: 9,321 words in twenty files or more): 370 of the 676. A part of a
 * value is read as a word only if each of its pairs is one of them. Random letters, split
 * at their capitals, fall into parts that hold a vowel and no four consonants in a row
 * (`cguvxe`, `Dyu`) often enough that one random key of sixteen characters in forty had
 * read as words; seldom into parts made of such pairs.
 */
export const ENGLISH_PAIRS: ReadonlySet<string> = new Set(
  `
ab ac ad af ag ai ak al am an ap ar as at au av aw ax ay ba bb bc bd be bg bi bj bl bm bo
br bs bt bu by ca cc cd ce ch ci ck cl cm co cp cr cs ct cu cv cy da db dc dd de dg di dl
dm dn do dr ds du dv dy ea eb ec ed ee ef eg eh ei ek el em en eo ep eq er es et eu ev ew
ex ey fa fd fe ff fi fl fo fr fs ft fu fy ga gc ge gf gg gh gi gl gm gn go gp gr gs gt gu
ha he hi hl hm hn ho hr hs ht hu hy ia ib ic id ie if ig ik il im in io ip ir is it iv ix
iz ja je jo ju ka ke kf kg ki kn ko ks kt ku la lb lc ld le lf li lk ll lo lp ls lt lu lv
ly ma mb mc me mi ml mm mn mo mp ms mu my na nb nc nd ne nf ng nh ni nk nl nm nn no np nr
ns nt nu nv nw ny oa ob oc od oe of og oi oj ok ol om on oo op or os ot ou ov ow ox oy pa
pc pd pe pg ph pi pk pl po pp pr ps pt pu py qu ra rb rc rd re rf rg ri rk rl rm rn ro rp
rr rs rt ru rv rw ry sa sc sd se sf sg sh si sk sl sm sn so sp sq sr ss st su sw sy ta tc
td te tf th ti tl tm tn to tp tr ts tt tu tw ty ua ub uc ud ue uf ug ui ul um un uo up ur
us ut ux va ve vi vo wa we wh wi wl wn wo wr ws xa xc xe xi xm xp xs xt ya yc ye yi yl ym
yn yo yp ys yt yz za ze zi zo
`.trim().split(/\s+/),
);

/** The fewest pairs of letters `readsAsWords` judges: fewer are words by chance too often. */
const MIN_WORD_PAIRS = 12;

/**
 * Whether `text`'s letters read as words: twelve pairs of letters or more (within each run
 * of letters, blind to case), each one English words hold (`updateaptconfigsystemctl`).
 * Random letters and digits do so one time in 1,700 at 24 characters, one in 11,000 at 32.
 */
export function readsAsWords(text: string): boolean {
  let pairs = 0;
  let before = "";
  for (const c of text.toLowerCase()) {
    if (c < "a" || c > "z") {
      before = "";
      continue;
    }
    if (before !== "") {
      if (!ENGLISH_PAIRS.has(before + c)) return false;
      pairs++;
    }
    before = c;
  }
  return pairs >= MIN_WORD_PAIRS;
}

/**
 * Whether a name of twelve characters or more in both cases (`Zq8Lr2Xv9Kt4Wm`, not
 * `dbPassword1`, `kvStoreNginxPath`, `__git_cmd_idx`) is random letters rather than words:
 * a third of its pairs of letters or more (two at least), within each run of letters split
 * at a capital after a small one, are pairs English words do not hold. Names hold such
 * pairs in an abbreviation or two; names of one case are snake case's, abbreviations and
 * all (`bzr_status_fh`). Of the 3,046 runs after a `$` on this machine, the 109 read as
 * random are random data (a hash's, base64), but for `prefixXXXXXXXX` (filler).
 */
export function randomName(name: string): boolean {
  if (name.length < 12 || !/[a-z]/.test(name) || !/[A-Z]/.test(name)) return false;
  let pairs = 0;
  let foreign = 0;
  for (const part of name.split(/[^A-Za-z]+|(?<=[a-z])(?=[A-Z])/)) {
    const lower = part.toLowerCase();
    for (let i = 0; i + 1 < lower.length; i++) {
      pairs++;
      if (!ENGLISH_PAIRS.has(lower.slice(i, i + 2))) foreign++;
    }
  }
  return foreign >= 2 && foreign * 3 >= pairs;
}
