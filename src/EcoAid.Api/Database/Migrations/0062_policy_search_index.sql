-- Chinese search with an index that MySQL 8 and MariaDB both serve (no full-text parser): every document's title,
-- summary and plain body text are cut into overlapping two-character pieces (bigrams), each stored once per document
-- and field as a number (the two code points side by side; a field's last character pairs with 0). A query of one
-- character is a range over the numbers that start with it, of two characters one number, of more the documents
-- holding every piece of it in the same field, confirmed by a substring match over those documents only.
-- field: 0 title, 1 summary, 2 body (the rank of a hit, title first as before).
CREATE TABLE policy_search_terms (
    term      BIGINT  NOT NULL,
    policy_id BIGINT  NOT NULL,
    field     TINYINT NOT NULL,
    PRIMARY KEY (term, policy_id, field),
    KEY ix_policy_search_terms_policy (policy_id),
    CONSTRAINT fk_policy_search_terms_policy FOREIGN KEY (policy_id) REFERENCES policies (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Which revision of each document the terms above were cut from; a document whose revision is ahead is indexed again
-- (every change does it in its own transaction; the startup catch-up covers documents written before this table).
CREATE TABLE policy_search_indexed (
    policy_id BIGINT NOT NULL PRIMARY KEY,
    revision  INT    NOT NULL,
    CONSTRAINT fk_policy_search_indexed_policy FOREIGN KEY (policy_id) REFERENCES policies (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Words that mean the same to a reader: a query holding one member of a group also finds documents with another.
-- Data, not code: a branch may add groups (compared case-insensitively after width folding).
CREATE TABLE policy_search_synonyms (
    group_id INT         NOT NULL,
    term     VARCHAR(50) NOT NULL,
    PRIMARY KEY (group_id, term)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

INSERT INTO policy_search_synonyms (group_id, term) VALUES
    (1, '危废'), (1, '危险废物'),
    (2, 'VOCs'), (2, '挥发性有机物'),
    (3, '环评'), (3, '环境影响评价'),
    (4, '排污证'), (4, '排污许可证'),
    (5, '固废'), (5, '固体废物');
