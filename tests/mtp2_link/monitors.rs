//! The signal unit error rate monitor (Q.703 10.2): T = 64, D = 256, N = 16 octets.

use std::time::Duration;

use crate::pair::{Dir, Fate, Pair};
use sipt_mgc::ss7::l2::{L2ToL3, OutOfServiceReason};
use sipt_mgc::ss7::mtp2::{LinkState, Mtp2Config};

const SUERM: L2ToL3 = L2ToL3::OutOfService(OutOfServiceReason::ErrorRateMonitor);

/// Aligned, then B->A units damaged as `bad(i)` says for unit `i` from now.
fn aligned_with_damage(bad: impl Fn(u64) -> bool + 'static) -> Pair {
    let mut p = Pair::default_itu();
    p.a.emergency = true;
    p.align();
    let mut first = None;
    p.fate = Box::new(move |dir, i, _| {
        if dir != Dir::BtoA {
            return Fate::Deliver;
        }
        let i0 = *first.get_or_insert(i);
        if bad(i - i0) {
            Fate::Corrupt
        } else {
            Fate::Deliver
        }
    });
    p
}

#[test]
fn a_burst_of_63_errors_is_survived() {
    let mut p = aligned_with_damage(|i| (100..163).contains(&i));
    p.run_for(Duration::from_secs(2));
    assert_eq!(p.a.mtp2.stats().su_in_error, 63);
    assert_eq!(p.a.state(), LinkState::InService);
}

#[test]
fn a_burst_of_65_errors_takes_the_link_down_at_t() {
    let mut p = aligned_with_damage(|i| (100..165).contains(&i));
    p.run_for(Duration::from_secs(1));
    println!("{}", p.ladder());
    assert_eq!(p.a.times_of(&SUERM).len(), 1);
    // Cs reaches 64 on the 64th error, or the 65th if the D count leaked once in the burst.
    let errors = p.a.mtp2.stats().su_in_error;
    assert!(errors >= 64, "{errors}");
    let down = p.a.times_of(&SUERM)[0];
    let burst_start = p.a.times_of(&L2ToL3::InService)[0];
    let per_unit = Duration::from_micros(750);
    assert!(down - burst_start < per_unit * 170);
}

#[test]
fn one_error_in_256_units_never_takes_the_link_down() {
    let mut p = aligned_with_damage(|i| i % 256 == 255);
    p.ladder_msus = false;
    p.run_for(Duration::from_secs(40));
    // 40 s of FISUs at 750 us: 53 000 units, 208 of them damaged.
    assert!(p.a.mtp2.stats().su_in_error > 200);
    assert_eq!(p.a.state(), LinkState::InService);
    assert!(p.a.times_of(&SUERM).is_empty());
}

#[test]
fn one_error_in_128_units_takes_the_link_down_after_64_times_256_units() {
    let mut p = aligned_with_damage(|i| i % 128 == 127);
    let t0 = p.time;
    p.run_until_cond(Duration::from_secs(20), |p| {
        p.a.state() == LinkState::OutOfService
    });
    p.run_for(Duration::from_millis(1));
    let down = p.a.times_of(&SUERM);
    assert_eq!(down.len(), 1);
    // Cs gains 2 and loses 1 every 256 units: 64 after about 64 * 256 FISUs of 750 us
    // (12.3 s).
    let took = down[0] - t0;
    assert!(
        took > Duration::from_secs(11) && took < Duration::from_secs(13),
        "{took:?}"
    );
    let errors = p.a.mtp2.stats().su_in_error;
    assert!((120..=130).contains(&errors), "{errors}");
}

#[test]
fn octet_counting_takes_the_link_down_after_t_times_n_octets() {
    let mut p = Pair::default_itu();
    p.a.emergency = true;
    p.align();
    // The line dies: A's receiver finds no flags and counts octets, 8 a millisecond at 64
    // kbit/s. T * N = 64 * 16 = 1024 octets: 128 ms.
    p.b.attached = false;
    let t0 = p.time;
    let mut down = None;
    for ms in 1..=200u64 {
        p.run_until(t0 + Duration::from_millis(ms));
        let now = p.time;
        p.a.mtp2.handle_octet_counting(now, 8);
        if p.a.state() == LinkState::OutOfService {
            down = Some(ms);
            break;
        }
    }
    assert_eq!(down, Some(128));
    assert_eq!(p.a.mtp2.stats().octet_counting_errors, 64);
    p.run_for(Duration::from_millis(1));
    assert_eq!(p.a.times_of(&SUERM).len(), 1);
}

#[test]
fn errors_while_aligning_are_the_aerms_not_the_suerms() {
    let mut p = Pair::new(Mtp2Config::default());
    p.start_both();
    p.run_for(Duration::from_millis(100));
    // 200 errors at once while proving: the AERM aborts the proving period once (it counts
    // again from the next correct unit); no SUERM runs yet to take the link down.
    let now = p.time;
    for _ in 0..200 {
        p.a.mtp2.handle_su_error(now);
    }
    assert_eq!(p.a.state(), LinkState::InitialAlignment);
    assert_eq!(p.a.mtp2.stats().proving_aborted, 1);
    // Proving starts again from the next correct unit and completes a Pn later.
    let up = p.align_from_here();
    let pn = Mtp2Config::default().t4_normal;
    assert!(up > pn && up < pn + Duration::from_millis(10), "{up:?}");
}
