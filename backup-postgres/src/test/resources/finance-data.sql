insert into users(email, name, created_at)
    select 'user' || i || '@example.com', 'User ' || i, timestamptz '2020-01-01 00:00:00+00' + i * interval '1 hour'
      from generate_series(1, 2000) i;
insert into categories(name) select 'category ' || i from generate_series(1, 10) i;
insert into categories(name, parent_id) select 'sub-category ' || i, 1 + i % 10 from generate_series(1, 30) i;
insert into accounts(user_id, name, currency, opened_at)
    select 1 + i % 2000, 'account ' || i, case when i % 5 = 0 then 'USD' else 'EUR' end,
           timestamptz '2021-01-01 00:00:00+00' + i * interval '1 day'
      from generate_series(1, 5000) i;
-- The ledger: booked in time order, so the newest transactions are at the end of the table.
insert into transactions(account_id, category_id, amount, booked_at, memo)
    select 1 + (i * 7919) % 5000, 1 + i % 40, ((i * 104729) % 200000 - 100000) / 100.0,
           timestamptz '2024-01-01 00:00:00+00' + i * interval '30 seconds', 'payment ' || i
      from generate_series(1::bigint, :rows) i;
insert into budgets(user_id, category_id, month, amount)
    select 1 + i % 2000, 1 + i % 40, date '2026-01-01' + ((i / 2000) % 12) * interval '1 month', (i % 500) * 10
      from generate_series(1, 20000) i
    on conflict do nothing;
update accounts a set balance = s.total
  from (select account_id, sum(amount) as total from transactions group by account_id) s
 where s.account_id = a.id;
select setval('invoice_number_seq', 4242);
select nextval('invoice_number_seq');
