use super::*;

fn cap(live: usize, budget: &Arc<Budget>) -> Cap<'_> {
    Cap {
        live: NonZeroUsize::new(live).unwrap(),
        budget,
    }
}

fn unlimited() -> Arc<Budget> {
    Arc::new(Budget::new(usize::MAX))
}

#[test]
fn a_full_map_forgets_a_finished_entry_first_then_refuses() {
    let budget = unlimited();
    let mut map: Capped<u32, bool> = Capped::default();
    for (k, done) in [(1, true), (2, false), (3, false)] {
        assert_eq!(map.make_room(cap(3, &budget), |done| *done), Ok(None));
        map.insert(k, done);
    }
    // At the cap: the finished one goes and is handed back; the live stay.
    assert_eq!(map.make_room(cap(3, &budget), |d| *d), Ok(Some((1, true))));
    assert_eq!(map.len(), 2);
    map.insert(4, false);
    assert_eq!(map.make_room(cap(3, &budget), |d| *d), Err(Full::kind(3)));
    assert_eq!(map.len(), 3);
}

#[test]
fn a_refusal_looks_at_a_bounded_number_of_objects_whatever_the_fill() {
    let budget = unlimited();
    let mut map: Capped<usize, bool> = Capped::default();
    let n = 100_000;
    for k in 0..n {
        map.make_room(cap(n, &budget), |d| *d).unwrap();
        map.insert(k, false);
    }
    let mut looked = 0;
    let refused = map.make_room(cap(n, &budget), |d| {
        looked += 1;
        *d
    });
    assert_eq!(refused, Err(Full::kind(n)));
    assert_eq!(looked, PROBES);
}

#[test]
fn refused_creates_walk_the_whole_store_to_a_finished_object() {
    let budget = unlimited();
    let n = 10 * PROBES;
    let mut map: Capped<usize, bool> = Capped::default();
    for k in 0..n {
        map.insert(k, false);
    }
    // The one finished object sits last, where the hand comes to it last.
    map[n - 1] = true;
    let mut refusals = 0;
    let freed = loop {
        match map.make_room(cap(n, &budget), |d| *d) {
            Ok(freed) => break freed,
            Err(_) => refusals += 1,
        }
    };
    assert_eq!(freed, Some((n - 1, true)));
    assert_eq!(refusals, n / PROBES - 1);
}

#[test]
fn the_budget_is_shared_by_maps_and_given_back_as_they_shrink_or_go() {
    let budget = Arc::new(Budget::new(3 * OBJECT_COST));
    let mut a: Capped<u32, bool> = Capped::default();
    let mut b: Capped<u32, bool> = Capped::default();
    for k in 0..2 {
        a.make_room(cap(100, &budget), |d| *d).unwrap();
        a.insert(k, false);
    }
    b.make_room(cap(100, &budget), |d| *d).unwrap();
    b.insert(0, true);
    assert_eq!(budget.used(), 3 * OBJECT_COST);
    // Spent: a map with nothing finished is refused, naming the budget...
    let full = a.make_room(cap(100, &budget), |d| *d).unwrap_err();
    assert_eq!(full.bound, Bound::Budget);
    assert!(
        full.message().contains("--memory-budget"),
        "{}",
        full.message()
    );
    // ...and one with a finished object hands its share on.
    assert_eq!(b.make_room(cap(100, &budget), |d| *d), Ok(Some((0, true))));
    b.insert(1, false);
    assert_eq!(budget.used(), 3 * OBJECT_COST);
    // A removal and a dropped map give their share back.
    a.remove(&0);
    assert_eq!(budget.used(), 2 * OBJECT_COST);
    drop(b);
    assert_eq!(budget.used(), OBJECT_COST);
    a.retain(|_, _| false);
    assert_eq!(budget.used(), 0);
}

#[test]
fn a_room_made_but_not_used_is_given_back() {
    let budget = Arc::new(Budget::new(10 * OBJECT_COST));
    let mut map: Capped<u32, bool> = Capped::default();
    map.make_room(cap(100, &budget), |d| *d).unwrap();
    assert_eq!(budget.used(), OBJECT_COST);
    // The create failed after its room was made: the next one settles.
    map.make_room(cap(100, &budget), |d| *d).unwrap();
    assert_eq!(budget.used(), OBJECT_COST);
}

#[test]
fn a_log_share_counts_entries_until_the_budget_is_spent_and_gives_them_back() {
    let budget = Arc::new(Budget::new(3 * 256));
    let mut share = Share::new(budget.clone(), 256);
    assert!(share.grow() && share.grow() && share.grow());
    // Spent: the log drops its oldest entry for the next instead.
    assert!(!share.grow());
    assert_eq!(budget.used(), 3 * 256);
    drop(share);
    assert_eq!(budget.used(), 0);
}
