-- The tenant root: a city bureau with its Party branches. Every branch-owned row carries branch_id.
CREATE TABLE cities (
    id          BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name        VARCHAR(50)  NOT NULL,
    created_at  DATETIME(6)  NOT NULL,
    CONSTRAINT uq_cities_name UNIQUE (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE party_branches (
    id          BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    city_id     BIGINT       NOT NULL,
    name        VARCHAR(100) NOT NULL,
    created_at  DATETIME(6)  NOT NULL,
    updated_at  DATETIME(6)  NOT NULL,
    CONSTRAINT uq_party_branches_name UNIQUE (city_id, name),
    CONSTRAINT fk_party_branches_city FOREIGN KEY (city_id) REFERENCES cities (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
