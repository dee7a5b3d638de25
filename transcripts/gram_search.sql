-- Messages containing a substring (ASCII case folded), newest first, for queries the word index
-- cannot answer (see grams.py). The candidates are the messages holding :gram, walked newest
-- first along the gram index, so the walk stops at :limit; each is checked for every gram of
-- :others (a JSON array) and then with the exact substring test. :role NULL means any role.
-- Table names: transcripts/rows.py (MESSAGES, GRAMS).
select m.*
from messages_grams as g
join messages as m on m.seq = g.seq
where g.gram = :gram
  and (:role is null or m.role = :role)
  and not exists (
    select 1
    from json_each(:others) as other
    where not exists (
      select 1 from messages_grams as o where o.gram = other.value and o.seq = g.seq
    )
  )
  and instr(lower(m.text), lower(:needle)) > 0
order by g.seq desc
limit :limit
