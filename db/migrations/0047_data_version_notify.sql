-- Every bump of the data version is announced on the `data_version` channel with the new
-- version token ("<epoch>:<number>"), delivered on commit: server processes keep the version
-- in memory and answer cached responses without reading it (docs/performance.md).
create function notify_data_version() returns trigger
language plpgsql as $$
begin
    perform pg_notify('data_version', new.epoch::text || ':' || new.version::text);
    return null;
end;
$$;

create trigger data_version_notify
    after update on data_version
    for each row execute function notify_data_version();
