import SwiftUI
import UIKit
import AVFoundation

/// The system camera; hands back JPEG bytes for the core to process.
struct CameraPicker: UIViewControllerRepresentable {
    let onJpeg: (Data) -> Void
    func makeUIViewController(context: Context) -> UIImagePickerController {
        let picker = UIImagePickerController()
        picker.sourceType = .camera
        picker.delegate = context.coordinator
        return picker
    }
    func updateUIViewController(_ vc: UIImagePickerController, context: Context) {}
    func makeCoordinator() -> Coordinator { Coordinator(onJpeg) }
    final class Coordinator: NSObject, UIImagePickerControllerDelegate, UINavigationControllerDelegate {
        let onJpeg: (Data) -> Void
        init(_ f: @escaping (Data) -> Void) { onJpeg = f }
        func imagePickerController(_ picker: UIImagePickerController,
                                   didFinishPickingMediaWithInfo info: [UIImagePickerController.InfoKey: Any]) {
            if let image = info[.originalImage] as? UIImage, let jpeg = image.jpegData(compressionQuality: 0.92) {
                onJpeg(jpeg)
            }
            picker.dismiss(animated: true)
        }
    }
}

/// The door-plate QR scanner (AVFoundation, on-device).
struct QRScannerView: UIViewControllerRepresentable {
    let onPayload: (String) -> Void
    func makeUIViewController(context: Context) -> ScannerController { ScannerController(onPayload) }
    func updateUIViewController(_ vc: ScannerController, context: Context) {}

    final class ScannerController: UIViewController, AVCaptureMetadataOutputObjectsDelegate {
        let session = AVCaptureSession()
        let onPayload: (String) -> Void
        var delivered = false
        init(_ f: @escaping (String) -> Void) { onPayload = f; super.init(nibName: nil, bundle: nil) }
        required init?(coder: NSCoder) { nil }
        override func viewDidLoad() {
            super.viewDidLoad()
            guard let camera = AVCaptureDevice.default(for: .video),
                  let input = try? AVCaptureDeviceInput(device: camera) else { return }
            session.addInput(input)
            let output = AVCaptureMetadataOutput()
            session.addOutput(output)
            output.setMetadataObjectsDelegate(self, queue: .main)
            output.metadataObjectTypes = [.qr]
            let preview = AVCaptureVideoPreviewLayer(session: session)
            preview.frame = view.bounds
            view.layer.addSublayer(preview)
            DispatchQueue.global().async { self.session.startRunning() }
        }
        func metadataOutput(_ output: AVCaptureMetadataOutput, didOutput objects: [AVMetadataObject],
                            from connection: AVCaptureConnection) {
            guard !delivered, let code = objects.first as? AVMetadataMachineReadableCodeObject,
                  let payload = code.stringValue else { return }
            delivered = true
            session.stopRunning()
            onPayload(payload)
        }
    }
}
