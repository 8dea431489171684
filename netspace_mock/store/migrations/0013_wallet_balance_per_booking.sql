-- The reference wallet books a bet or a win as one statement (wallet/webhook.py): the transaction's row
-- carries the balance it leaves the account with, as a ledger's running balance, and this trigger moves
-- the account to it within the same INSERT. Rows booked before this migration have none.
ALTER TABLE wallet_transactions ADD COLUMN balance TEXT;

CREATE TRIGGER wallet_transactions_book AFTER INSERT ON wallet_transactions
WHEN NEW.balance IS NOT NULL
BEGIN
    UPDATE wallet_accounts SET balance = NEW.balance
    WHERE operator_id = NEW.operator_id AND player_id = NEW.player_id AND currency = NEW.currency;
END;
