import csv, re, xml.etree.ElementTree as ET
D='/work/shared/data/sanctions/'
def load():
    ents={}
    for r in csv.reader(open(D+'ofac-2025-02/sdn.csv',encoding='latin-1')):
        if len(r)<4: continue
        t=r[2].strip(); t='entity' if t in ('-0-','') else t
        ents['ofac:'+r[0].strip()]={'type':t,'name':r[1].strip(),'aliases':re.findall(r"[afn]\.k\.a\. '([^']+)'", r[11]),'prog':r[3]}
    for r in csv.reader(open(D+'ofac-2025-02/alt.csv',encoding='latin-1')):
        if len(r)<4: continue
        ents['ofac:'+r[0].strip()]['aliases'].append(r[3].strip())
    root=ET.parse(D+'un/consolidated-2026-02-27.xml').getroot()
    for tag,typ in (('INDIVIDUALS/INDIVIDUAL','individual'),('ENTITIES/ENTITY','entity')):
        for e in root.findall(tag):
            nm=' '.join(filter(None,[ (e.findtext(k) or '').strip() for k in ('FIRST_NAME','SECOND_NAME','THIRD_NAME','FOURTH_NAME')]))
            al=[ (a.findtext('ALIAS_NAME') or '').strip() for a in e.findall('INDIVIDUAL_ALIAS')+e.findall('ENTITY_ALIAS')]
            ents['un:'+e.findtext('REFERENCE_NUMBER').strip()]={'type':typ,'name':nm,'aliases':[a for a in al if a],'prog':e.findtext('UN_LIST_TYPE')}
    return ents
def norm(s):
    s=s.lower().replace("'","")
    return frozenset(re.findall(r'[a-z0-9]+',s))
