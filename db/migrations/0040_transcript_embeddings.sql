-- The recruiter assistant's turn embeddings, per embedding model, so a long interview's turns
-- are embedded once rather than for every question. text_hash (sha256 of the embedded text)
-- tells a turn whose text changed since (e.g. a rebuilt turn later stored for real).
create table transcript_embeddings (
    interview_id uuid not null references interviews (id) on delete cascade,
    sequence_no integer not null,
    model text not null,
    text_hash bytea not null,
    vector real[] not null,
    primary key (interview_id, sequence_no, model)
);
