# Builds the positive evaluation queries from the real lists by applying
# spelling rules (transliteration, reordering, dropped tokens, typos,
# punctuation, diacritics). Seeded: reruns give the same file.
import random, re, csv, sys
from load import load
random.seed(int(sys.argv[1]) if len(sys.argv)>1 else 20250227)
E = load()
ids = sorted(E)
def toks(s): return re.findall(r"[A-Za-z0-9']+", s)
def disp(e):
    # "SURNAME, Given" -> "Given SURNAME"
    n = e['name']
    if e['type']=='individual' and n.count(',')==1:
        a,b = n.split(','); return (b.strip()+' '+a.strip())
    return n
out=[]; seen=set()
def add(q, i, cat):
    if q.lower()==disp(E[i]).lower() or q.lower()==E[i]['name'].lower() or (q,i) in seen: return False
    seen.add((q,i)); out.append((q,i,cat)); return True

KO = {'KIM':'GIM','PAK':'PARK','RI':'LEE','CHOE':'CHOI','JONG':'JEONG','UN':'EUN','CHOL':'CHEOL','SONG':'SUNG',
      'YONG':'YEONG','KWANG':'GWANG','HYON':'HYUN','RYONG':'RYEONG','KANG':'GANG','SOK':'SEOK','CHON':'JEON','YUN':'YOON','MYONG':'MYEONG','RYU':'YOO','O':'OH','HO':'HOH'}
AR = {'MUHAMMAD':'MOHAMMED','MOHAMMED':'MUHAMMAD','MOHAMED':'MUHAMMAD','AHMAD':'AHMED','AHMED':'AHMAD','HUSAYN':'HUSSEIN','HUSSEIN':'HUSAYN','HASAN':'HASSAN','HASSAN':'HASAN',
      'ABU':'ABOU','YUSUF':'YOUSSEF','UMAR':'OMAR','OMAR':'UMAR','KHALID':'KHALED','SALIH':'SALEH','QASIM':'QASSEM','ABDULLAH':'ABDALLAH','MAHMUD':'MAHMOUD','MUSTAFA':'MOSTAFA',
      'IBRAHIM':'EBRAHIM','ISMAIL':'ISMAEL','SULAYMAN':'SULEIMAN','JAFAR':'JAAFAR','HAMID':'HAMED','RASHID':'RASHEED','SAYF':'SAIF','NASIR':'NASSER','ZAYD':'ZAID','YAHYA':'YAHIA',
      'MUSA':'MOUSSA','ABDUL':'ABDEL','OSAMA':'USAMA','USAMA':'OSAMA','SAID':'SAEED','HUSAIN':'HUSSEIN','ALI':'ALY','AL':'EL','QAIDA':'QAEDA'}
def ko_variant(n):
    t=toks(n); c=0; r=[]
    for w in t:
        u=w.upper()
        if u in KO and random.random()<0.8: r.append(KO[u]); c+=1
        else: r.append(w)
    return ' '.join(r) if c else None
def ar_variant(n):
    n2=re.sub(r"\bAL-", lambda m: random.choice(['EL-','AL ','EL ']), n, flags=re.I)
    t=re.findall(r"[A-Za-z0-9'\-]+", n2); c=int(n2!=n); r=[]
    for w in t:
        u=w.upper().replace("'","")
        if u in AR and random.random()<0.8: r.append(AR[u]); c+=1
        else: r.append(w)
    return ' '.join(r) if c else None
def pick(pred, k):
    pool=[i for i in ids if pred(i)]; random.shuffle(pool); return pool[:k]
# Korean
n=0
for i in pick(lambda i: ('DPRK' in E[i]['prog']) and E[i]['type']=='individual', 200):
    v=ko_variant(disp(E[i]))
    if v:
        if random.random()<0.3:  # hyphenate or join the given name
            t=v.split()
            if len(t)==3: v = t[0]+' '+t[1]+random.choice(['-',''])+t[2].lower() if random.random()<0.5 else v
        if add(v,i,'translit-korean'): n+=1
    if n>=35: break
# Arabic
n=0
for i in pick(lambda i: E[i]['type']=='individual' and any(w.upper().replace("'","") in AR for w in toks(E[i]['name'])), 400):
    v=ar_variant(disp(E[i]))
    if v and add(v,i,'translit-arabic'): n+=1
    if n>=35: break
# Russian: Cyrillic back-transliteration and Latin variants
CY=[('shch','щ'),('kh','х'),('ts','ц'),('ch','ч'),('sh','ш'),('zh','ж'),('yu','ю'),('ya','я'),('ye','е'),('iy','ий'),('yy','ый'),
    ('a','а'),('b','б'),('v','в'),('g','г'),('d','д'),('e','е'),('z','з'),('i','и'),('y','й'),('k','к'),('l','л'),('m','м'),('n','н'),('o','о'),
    ('p','п'),('r','р'),('s','с'),('t','т'),('u','у'),('f','ф')]
def to_cyr(s):
    s=s.lower(); r=''; j=0
    while j<len(s):
        for a,b in CY:
            if s.startswith(a,j): r+=b; j+=len(a); break
        else: r+=s[j]; j+=1
    return r.title()
RU=[(r'IY\b','Y'),(r'Y\b','IY'),(r'^YE','E'),(r'\bYE','E'),(r'\bE(?=[VL])','YE'),('KH','H'),('TS','TZ'),(r'OV\b','OFF'),(r'EV\b','EFF'),('KS','X'),(r'II\b','Y')]
def ru_variant(n):
    v=n.upper(); c=0
    for a,b in RU:
        v2=re.sub(a,b,v)
        if v2!=v and random.random()<0.7: v=v2; c+=1
    return v if c else None
rus=[i for i in pick(lambda i: E[i]['type']=='individual' and 'RUSSIA' in E[i]['prog'] and not re.search(r"[^A-Za-z ,\-]",E[i]['name']), 400)]
n=0
for i in rus[:15]:
    if add(to_cyr(disp(E[i])),i,'translit-cyrillic'): n+=1
n=0
for i in rus[15:]:
    v=ru_variant(disp(E[i]))
    if v and add(v,i,'translit-russian'): n+=1
    if n>=22: break
# reorder
n=0
for i in pick(lambda i: E[i]['type']=='individual' and len(toks(E[i]['name']))>=3, 100):
    t=toks(disp(E[i])); r=t[:]
    while r==t: random.shuffle(r)
    if add(' '.join(r),i,'reorder'): n+=1
    if n>=20: break
# drop a middle name
n=0
for i in pick(lambda i: E[i]['type']=='individual' and len(toks(E[i]['name']))>=4, 100):
    t=toks(disp(E[i])); del t[random.randrange(1,len(t)-1)]
    if add(' '.join(t),i,'drop-middle'): n+=1
    if n>=20: break
# typos
def typo(w):
    j=random.randrange(1,len(w)-1); k=random.choice('sub del swap dup'.split())
    if k=='sub': return w[:j]+random.choice('aeioulnrst')+w[j+1:]
    if k=='del': return w[:j]+w[j+1:]
    if k=='swap': return w[:j]+w[j+1]+w[j]+w[j+2:]
    return w[:j]+w[j]+w[j:]
n=0
for i in pick(lambda i: max((len(w) for w in toks(E[i]['name'])),default=0)>=7, 200):
    t=toks(disp(E[i])); j=max(range(len(t)),key=lambda j:len(t[j])); t[j]=typo(t[j])
    if add(' '.join(t),i,'typo'): n+=1
    if n>=25: break
# punctuation / spacing on entity names
n=0
for i in pick(lambda i: E[i]['type']=='entity' and 2<=len(toks(E[i]['name']))<=4, 200):
    t=toks(E[i]['name']); k=random.choice(['hyphen','join','dots','lower'])
    if k=='hyphen': v='-'.join(t)
    elif k=='join': j=random.randrange(len(t)-1); v=' '.join(t[:j]+[t[j]+t[j+1]]+t[j+2:])
    elif k=='dots': v='.'.join(t)
    else: v=' '.join(t).lower()+'.'
    if add(v,i,'punctuation'): n+=1
    if n>=22: break
# diacritics
AC={'a':'á','e':'é','i':'í','o':'ö','u':'ü','n':'ñ','c':'ç','s':'š'}
n=0
for i in pick(lambda i: E[i]['type']=='individual' and 'SDNTK' in E[i]['prog'] or 'VENEZUELA' in E[i]['prog'], 200):
    s=disp(E[i]); v=''.join(AC[c.lower()] if c.lower() in AC and random.random()<0.3 else c for c in s)
    if v!=s and add(v,i,'diacritics'): n+=1
    if n>=12: break
# aliases, with a typo or reordering
n=0
for i in pick(lambda i: len(E[i]['aliases'])>0, 300):
    a=random.choice(E[i]['aliases']); t=toks(a)
    if len(t)<2: continue
    t=t[1:]+t[:1] if E[i]['type']=='individual' else t
    j=max(range(len(t)),key=lambda j:len(t[j]))
    if len(t[j])>=7: t[j]=typo(t[j])
    if add(' '.join(t),i,'alias'): n+=1
    if n>=15: break
w=csv.writer(sys.stdout, lineterminator='\n')
w.writerow(['query','expect','category'])
for q,i,c in out: w.writerow([q,i,c])
