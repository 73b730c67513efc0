"""Name lexicons for the privacy gate, hand-written (nothing is downloaded).

Frequent first names and surnames in France, lower case, accents kept where usual (lookups
fold accents). A word from these lists alone is not masked: it needs a second name word
next to it, a title, or an introducing phrase. Names that are also everyday words
("rose", "pierre", "petit", "blanc") are listed in ``WORD_NAMES``: they need a stronger
cue than the others.
"""

from __future__ import annotations

# First names, on top of terms.FIRST_NAMES (kept there for the original recognizers).
MORE_FIRST_NAMES = """
aaron abdel abdelkader abdallah abdou abdoulaye abel adama adel adèle adrien adrienne agathe
ahmed aimé aimée alain alban albane albert alberto alexandra alexandrine alexia alexis alfred
alice alicia aline alix amadou amandine amar amaury ambre amélie amelie amine anatole andrea
andré andrée ange angela angèle angélique angelique annabelle anne-laure anne-sophie annick
antonin antonio apolline ariane arlette armand arnaud aubin audrey augustin aurélien aurelien
aurore axel axelle aya ayoub aziz bakary baptiste bastien benoît benoit bérénice berenice
bertrand blanche boris brahim brice brigitte bruno candice capucine carla carole caroline
cassandra catherine cécile cecile célia celia chantal charles charlène charlene charly
chloé christelle christian christophe claire clara clarisse claude claudine clément clement
clotilde colin coralie corentin cyril cyrille damien daniel danielle david davy delphine
diane dimitri djamel dorian dorothée dylan edith édith edouard édouard eliane éliane elias
élie elie eliott elisa elisabeth élisabeth ella elliot elsa emeline émeline emma emmanuel
emmanuelle enzo erwan esteban estelle etienne étienne eugène eugenie evan eve évelyne evelyne
fabien fabienne fanny farid fatoumata félix felix fernande fleur florence florent florentin
francis francine gabriel gabrielle gaël gael gaétan gaetan gaspard geneviève genevieve
georgette ghislaine gilbert gisèle gisele grégoire gregoire grégory gregory guillaume gwenaëlle
hakim halima hamid hassan hélène henriette hichem hocine houria hubert hugues ibrahim ilyes
inès irène irene isaac ismaël ismael jacqueline jade jamel jason jean-baptiste jean-charles
jean-christophe jean-yves jennifer jérémy jeremy jessica joachim joanna jocelyne johan johanna
jonathan jordan joseph joséphine josephine josué judith julia julian julien juliette justin
kader kamel karima karine kenza kevin killian lamia lana laetitia lætitia laurent laurine
léane leane léon leon léonie leonie liam lilian liliane lilou lina lionel lisa loïc loic lola
lorenzo lou louane louis lounès luc luca lucas lucie ludovic lydie lyna madeleine maël mael
maëlle maelle mamadou manuel manuela marc-antoine marcel marceline margot marguerite maria
mariama marianne marie-anne marie-hélène marie-josé marie-noëlle marie-pierre marina marius
marjorie marlène marlene martial mathéo matheo mathias mathis maud maxence maxime mélissa
melissa mickaël mickael mila milan miriam mohamed moussa mounir mourad murielle muriel nabil
nadège nadege naïm naima naïma nassim nathalie nathan nelly nina noa noé noe noël noel noëlle
norbert oscar oumar ousmane pascale patrice paule paulette perrine philippine priscilla
quentin rachel rachid rayane régine regine régis regis rémi remi rémy renée renee richard
robin rodolphe rodrigue roger romane romuald rosalie roxane ruben sabine sabrina sacha salomé
salome salima samuel sandra sandro saïd said sébastien séverine severine sidonie simon sofia
sofiane solange soraya sonia souad stella steve steven sylvain sylviane tatiana thanh théo
theo théodore theodore thibault thibaut thierry timéo timeo timothée tiphaine tom tony tristan
ugo valentin valentine valérie vanessa victor victoria vincent violette virginie walid wendy
william xavier yacine yannick yasmina yassine yohan yves yvonne zacharie zakaria zineb zohra
kelly ludo ludivine hamza bilal imane imène samira rachida malika nour nora noura assia aminata
awa ibrahima cheikh souleymane djamila farida nabila saïda saida yamina zahra ilyas amir anis
kylian nolan noam louna romy anna maëva maeva cindy jessy jérémie jeremie gwen gwendoline
nolwenn maïwenn maiwenn yann ronan gabin lenny rafael naël nael wassim samy sami younes ryad
riyad rania latifa binta coumba oumou hawa boubacar seydou modibo huong linh ngoc
bernadette huguette gisèle giselle raymonde lucienne jeannine maryse paulo joão joao josé jose
fernanda carlos miguel francisco rose ryan rayane rayan kenzo ilan eden lyna nahia inaya
maylis lisa-marie jean-marc-antoine mohammed-amine
"""

# Frequent surnames in France (including names of North and West African, Portuguese,
# Spanish, Vietnamese, Turkish and Breton origin). Particles are written with the name.
SURNAMES = """
martin bernard thomas petit robert richard durand dubois moreau laurent simon michel lefebvre
lefèvre lefevre leroy roux david bertrand morel fournier girard bonnet dupont lambert fontaine
rousseau vincent muller müller lefèvre faure andre andré mercier blanc guerin guérin boyer
garnier chevalier francois françois legrand gauthier gautier garcia perrin robin clement
clément morin nicolas henry roussel mathieu gaillard barbier arnaud martinez gerard gérard
roche renard schmitt roy leroux colin vidal caron picard roger fabre aubert lemoine renaud
dumas lacroix olivier philippe bourgeois pierre benoit benoît rey leclerc payet rolland
leclercq guillaume lecomte lopez jean dupuy guillot hubert berger carpentier sanchez dupuis
moulin louis deschamps huet vasseur perez boucher fleury royer klein jacquet adam paris
poirier marty aubry guyot carre carré charles renault charpentier menard ménard maillard
baron bertin bailly herve hervé schneider fernandez le gall collet leger léger bouvier julien
prevost prévost millet perrot daniel le roux cousin germain breton besson langlois remy rémy
le goff pelletier leveque lévêque perrier leblanc barre barré lebrun marchal weber mallet
hamon boulanger jacob monnier michaud rodriguez guichard gillet etienne étienne grondin
poulain tessier chevallier collin chauvin da silva bouchet gay lemaitre lemaître benard
bénard marechal maréchal humbert reynaud antoine hoarau perret barthelemy barthélemy cordier
pichon lejeune gilbert lamy delaunay pasquier carlier laporte ferreira dos santos santos
pereira rodrigues gomes oliveira martins sousa fernandes lopes alves costa ribeiro
carvalho teixeira moreira gonçalves goncalves nguyen tran le pham hoang phan vu dang bui
do ngo duong ly benali benzema haddad hamidi mansouri bouaziz belkacem cherif chérif saidi
saïdi brahimi amrani benabdallah boumediene kaci khelifi ziani meziane djebbar bouzid
rahmani slimani hadj ould ahmed ould-ahmed diallo traore traoré kone koné camara diop ndiaye
n'diaye sow sy ba fall diouf sarr cisse cissé kouassi konaté konate sylla coulibaly keita
keïta toure touré diarra sissoko bamba yilmaz kaya demir sahin şahin celik çelik ozturk
öztürk kerbrat le bihan le guen le floch le corre le meur tanguy le borgne le gal guillou
kervella le berre le roy lebon lemaire masson marchand meunier brun blanchard giraud riviere
rivière texier pons lebreton leroux bertrand barbe deschamps meyer marie noel noël colas
joly lucas renaud roger rolland poirier bourgeois lemoine jourdan tessier delmas gimenez
navarro moreno romero jimenez gomez diaz alvarez ruiz hernandez munoz muñoz dumont dupré
dupre chevallier aubert laine lainé boyer hardy riou riviere le roux marchand maillot
vallet leduc bigot besnard tardy bouvet paris charrier vial bonnin ferrand lecoq lefort
vaillant chauvet bousquet bouchard maurice thibault thibaut barbe gros leclere guillon
fabre delattre descamps devaux gosselin lacombe lebas leconte mahe mahé ollivier poulain
prieur raynaud regnier roques salmon sauvage tournier vidal weiss wolff zimmermann
delacroix lagarde laroche lebeau lecerf lefranc legendre lemercier levy lévy cohen
benhamou attal azoulay abitbol bensoussan elbaz ohayon dahan sebag
"""

# Names that are also ordinary French words: masked only with a strong cue or another name.
WORD_NAMES = """
rose pierre claire olive olivier marine france aimé aime aimée désiré désirée constant
constance prudence patience blanche violette capucine fleur ange céleste celeste modeste
victoire noël noel pascal colombe prosper clément clement sage grâce grace juste
petit blanc brun roux noir lebon boulanger meunier marchand fontaine riviere rivière berger
boucher charpentier chevalier masson barbier roy lion loup renard leblanc lenoir lebrun
legrand germain breton cousin gay bonnet carré carre baron moulin paris marie jean richard
le la de du da do ba ly sy bui vu ngo marché colas gros sauvage salmon bigot collet millet
roche barre barré perrier marty lecoq vaillant fabre hardy dupuis
"""
