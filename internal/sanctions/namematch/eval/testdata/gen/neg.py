# Builds the negative evaluation queries: ordinary company and person names
# that must not match. A candidate is dropped only when the lists hold a name
# with exactly the same distinctive tokens (then it is not a negative).
import random, re, csv, sys
from load import load
random.seed(int(sys.argv[1]) if len(sys.argv)>1 else 7)
E=load()
LEGAL=set('co corp corporation company inc ltd limited llc plc gmbh ag sa srl bv jsc of the and'.split())
def key(s): return frozenset(t for t in re.findall(r'[a-z0-9]+', s.lower().replace("'","").replace('.','')) if t not in LEGAL)
GENERIC=set('''trading trade bank banco group international shipping holding holdings industries logistics capital investments investment
energy technologies technology commercial general maritime services service company united golden gold star first new eastern western
national global ocean'''.split())
listed=set(); persons=[]; cores=set(); concat=set()
for e in E.values():
    for n in [e['name']]+e['aliases']:
        k=key(n); listed.add(k)
        if e['type']=='individual': persons.append(k)
        else:
            core=[t for t in re.findall(r'[a-z0-9]+', n.lower().replace("'","")) if t not in LEGAL and t not in GENERIC]
            if core: cores.add(frozenset(core)); concat.add(''.join(core))
def namesake(k):
    # every token of the query is in one listed individual's name
    return any(k <= p for p in persons)
def samecore(q):
    core=[t for t in re.findall(r'[a-z0-9]+', q.lower().replace('.','')) if t not in LEGAL and t not in GENERIC]
    return bool(core) and (frozenset(core) in cores or ''.join(core) in concat)
brands='''Maplewood Brightwater Silverline Northgate Bluefield Oakridge Cedarbrook Pinecrest Harborview Stonebridge
Greenleaf Redwood Clearwater Fairhaven Westbrook Eastfield Highland Lakeside Meadowbrook Riverbend Springvale Summitview
Thornbury Willowdale Ashford Bramble Copperfield Driftwood Elmstead Foxglove Goldcrest Hawthorne Ironbridge Juniper
Kingsley Lindenhurst Marigold Nettlefield Orchardside Primrose Quarrystone Rosewood Saltmarsh Tidewater Upland Valewood
Whitcombe Yarrow Zephyr Acme Apex Vertex Nimbus Quantum Horizon Beacon Keystone Lighthouse Anchorage Compass'''.split()
generic=['Trading','Bank','Shipping','International','Group','Holdings','Industries','Logistics','Capital','Investments','Energy','Technologies','Trading Company','Commercial Bank','General Trading','Maritime Services']
legal=['Co Ltd','LLC','Corp','Inc','Ltd','GmbH','S.A.','PLC','JSC','Limited','Company','FZE','Co., Ltd.','']
first='''James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara Richard Susan Joseph Jessica Thomas
Sarah Charles Karen Emily Hannah Lukas Sophie Pierre Camille Giulia Marco Sven Ingrid Mateo Lucia Hiroshi Yuki Priya Arjun
Chloe Oliver Amelia Noah Liam Olivia Ethan Ava Henrik Astrid Pablo Elena Tomasz Agnieszka'''.split()
last='''Smith Johnson Williams Brown Jones Miller Davis Wilson Anderson Taylor Thomas Moore Martin Jackson Thompson White Harris
Clark Lewis Robinson Walker Young Allen Wright Scott Green Baker Adams Nelson Hill Campbell Mitchell Roberts Carter Phillips
Evans Turner Parker Collins Edwards Stewart Morris Murphy Cook Rogers Becker Schneider Fischer Dubois Lefebvre Rossi Bianchi
Jensen Larsen Nakamura Tanaka Patel Sharma Kowalski Nowak Lindqvist Bergstrom'''.split()
hard=['Kim Min-jun','Park Ji-hoon','Lee Seo-yeon','Choi Woo-shik','Jung Hae-in','Kang Daniel','Yoon Seo-ah','Han Ji-min',
 'Mohammed Al-Farsi','Ahmed Khalil Mansour','Fatima Zahra Benali','Omar Haddad','Yusuf Demir','Layla Nasser','Karim Bouzid','Hassan Rahimi',
 'Ivan Sokolov','Dmitry Volkov','Anna Kuznetsova','Sergey Morozov','Natalia Fedorova','Alexei Lebedev','Olga Pavlova','Nikolai Orlov',
 'Global Trading LLC','National Bank','International Trading Co Ltd','ABC Trading Co Ltd','XYZ Shipping Ltd','First Commercial Bank',
 'General Trading Company','United Shipping Group','Eastern Bank Corp','Star Trading Co','Golden Trading LLC','Ocean Shipping Company']
out=[]; seen=set()
def add(q,cat):
    k=key(q)
    if not k or k in listed or q in seen: return
    if cat in ('person','hard') and namesake(k): return
    if samecore(q): return
    seen.add(q); out.append((q,cat))
for q in hard: add(q,'hard')
while sum(1 for _,c in out if c=='company')<95:
    add(f"{random.choice(brands)} {random.choice(generic)} {random.choice(legal)}".strip(),'company')
while sum(1 for _,c in out if c=='person')<75:
    f,l=random.choice(first),random.choice(last)
    q=f"{f} {random.choice(first)} {l}" if random.random()<0.25 else f"{f} {l}"
    add(q,'person')
w=csv.writer(sys.stdout, lineterminator='\n')
w.writerow(['query','expect','category'])
for q,c in out: w.writerow([q,'',c])
