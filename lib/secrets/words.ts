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
