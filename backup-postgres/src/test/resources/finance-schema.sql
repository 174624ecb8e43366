-- A personal-finance ledger: users, accounts, categories, transactions (the big table), budgets, an audit log kept by
-- a trigger, a sequence of its own, a view and functions. Data is generated deterministically from generate_series.
create table users (
    id bigserial primary key,
    email text not null unique,
    name text not null,
    created_at timestamptz not null
);
create table categories (
    id serial primary key,
    name text not null unique,
    parent_id int references categories(id)
);
create table accounts (
    id bigserial primary key,
    user_id bigint not null references users(id),
    name text not null,
    currency char(3) not null default 'EUR',
    balance numeric(14, 2) not null default 0,
    opened_at timestamptz not null
);
create index accounts_user on accounts(user_id);
create table transactions (
    id bigserial primary key,
    account_id bigint not null references accounts(id),
    category_id int references categories(id),
    amount numeric(12, 2) not null,
    booked_at timestamptz not null,
    memo text
);
create index transactions_account_booked on transactions(account_id, booked_at);
create index transactions_category on transactions(category_id);
create table budgets (
    id serial primary key,
    user_id bigint not null references users(id),
    category_id int not null references categories(id),
    month date not null,
    amount numeric(12, 2) not null check (amount >= 0),
    unique (user_id, category_id, month)
);
create table audit_log (
    id bigserial primary key,
    account_id bigint not null,
    old_balance numeric(14, 2),
    new_balance numeric(14, 2),
    changed_at timestamptz not null default timestamptz '2026-01-01 00:00:00+00'
);
create sequence invoice_number_seq start 1000;

create function account_balance_audit() returns trigger language plpgsql as $$
begin
    if new.balance is distinct from old.balance then
        insert into audit_log(account_id, old_balance, new_balance) values (new.id, old.balance, new.balance);
    end if;
    return new;
end $$;
create trigger accounts_balance_audit after update of balance on accounts
    for each row execute function account_balance_audit();

create function net_worth(p_user bigint) returns numeric language sql stable as $$
    select coalesce(sum(balance), 0) from accounts where user_id = p_user
$$;

create view monthly_spending as
    select a.user_id, date_trunc('month', t.booked_at) as month, c.name as category, sum(t.amount) as total
      from transactions t
      join accounts a on a.id = t.account_id
      left join categories c on c.id = t.category_id
     group by 1, 2, 3;
