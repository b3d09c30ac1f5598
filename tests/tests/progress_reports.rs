//! The progress the converter draws comes from the library's reports: during evaluation the
//! images classified, during dataset conversion the input bytes read; both add up exactly.

use std::num::NonZeroUsize;
use std::path::Path;
use std::sync::Mutex;

use converter::convert;
use converter::evaluate::{REPORT_EVERY, evaluate_reporting, evaluate_threads};
use runtime::{Dataset, Model};
use tests::{book_model, data_dir, mnist_test};

#[test]
fn evaluation_reports_every_image_once_on_any_number_of_threads() {
    let model = Model::from_bytes(book_model().bytes()).unwrap();
    let dataset = Dataset::from_bytes(mnist_test().bytes()).unwrap();
    let (m, d) = (Path::new("model.bin"), Path::new("test.bin"));
    let single = evaluate_threads(&model, &dataset, m, d, NonZeroUsize::MIN).unwrap();
    for threads in [1, 2, 3] {
        let reports = Mutex::new(Vec::new());
        let threads = NonZeroUsize::new(threads).unwrap();
        let e = evaluate_reporting(&model, &dataset, m, d, threads, &|n| {
            reports.lock().unwrap().push(n);
        })
        .unwrap();
        let reports = reports.into_inner().unwrap();
        assert_eq!(reports.iter().sum::<usize>(), 10_000, "{threads} threads");
        assert!(
            reports.iter().all(|&n| (1..=REPORT_EVERY).contains(&n)),
            "{reports:?}"
        );
        assert_eq!(e.predictions, single.predictions);
        assert_eq!(e.correct, 9352);
    }
}

#[test]
fn dataset_conversion_reports_every_input_byte_once() {
    let dir = data_dir();
    let images = dir.join("t10k-images-idx3-ubyte.gz");
    let labels = dir.join("t10k-labels-idx1-ubyte.gz");
    let size = |p: &Path| std::fs::metadata(p).unwrap().len() as usize;
    let mut total = 0;
    let blob =
        convert::dataset_blob_reporting(&images, &labels, None, &mut |n| total += n).unwrap();
    assert_eq!(total, size(&images) + size(&labels));
    assert_eq!(blob, mnist_test().bytes());
}
