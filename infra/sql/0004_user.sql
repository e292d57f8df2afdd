-- Accounts: buyers, and admins (created by `api users create --admin`, never by default).
-- email is stored lower-cased, so uq_user_email makes addresses unique whatever their case.
-- password_hash is an Argon2id PHC string; the password itself is never stored.
CREATE TABLE IF NOT EXISTS `user` (
    user_id       CHAR(36) CHARACTER SET ascii NOT NULL,
    email         VARCHAR(254)  NOT NULL,
    name          VARCHAR(100)  NOT NULL,
    password_hash VARCHAR(255) CHARACTER SET ascii NOT NULL,
    role          ENUM('buyer', 'admin') NOT NULL,
    created_on    DATETIME(3)   NOT NULL,
    PRIMARY KEY (user_id),
    UNIQUE KEY uq_user_email (email)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;
