fn main() {
    let path = std::env::args().nth(1).unwrap();
    let pdf = std::fs::read(path).unwrap();
    let t = std::time::Instant::now();
    let s = kyso::pdf::signatures(&pdf).unwrap();
    eprintln!("signatures: {} in {:?}", s.len(), t.elapsed());
    let mut codes = std::collections::BTreeMap::new();
    for x in &s {
        *codes.entry(format!("{:?}", x.modifications).chars().take(40).collect::<String>()).or_insert(0) += 1;
    }
    eprintln!("{codes:#?}");
}
