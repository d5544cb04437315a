-- How each organisation came to be: founded by a self-service sign-up (anyone on the internet,
-- naming it as they like) or created by an operator (`insighta org create`, or a platform
-- admin's token naming a new slug). Operators name organisations by slug, and a slug founded
-- by sign-up may be a squatter's: `insighta token --org` and a platform admin's `inviteUser`
-- show the origin and refuse a self-service organisation unless told it is meant.
--
-- The default is the cautious answer for rows the previous release still writes while both
-- run: a sign-up organisation asks for confirmation, an operator one does not.
alter table organisations
    add column origin text not null default 'sign_up' check (origin in ('sign_up', 'operator'));

-- Existing rows: an organisation is self-service when one of its users joined without an
-- invitation (only sign-up founds an organisation that way, admin and organisation in one
-- transaction); every other organisation was made by an operator's token or invitation.
update organisations o
   set origin = 'operator'
 where not exists (
       select 1
         from users u
        where u.organisation_id = o.id
          and not exists (select 1 from invitations i where i.accepted_by = u.id));
