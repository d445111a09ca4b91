// Proof of work in the browser: photos shrunk before they are kept, and a signature pad.

const MAX_SIDE = 1600;
const QUALITY = 0.82;

function loadImage(file) {
  return new Promise((resolve, reject) => {
    const url = URL.createObjectURL(file);
    const image = new Image();
    image.onload = () => {
      URL.revokeObjectURL(url);
      resolve(image);
    };
    image.onerror = () => {
      URL.revokeObjectURL(url);
      reject(new Error("not an image"));
    };
    image.src = url;
  });
}

// A camera photo (often 4–12 MB) becomes a JPEG of at most 1600 px a side (~200–400 kB).
export async function shrinkPhoto(file) {
  let source;
  try {
    source = await createImageBitmap(file, { imageOrientation: "from-image" });
  } catch {
    source = await loadImage(file);
  }
  const scale = Math.min(1, MAX_SIDE / Math.max(source.width, source.height));
  const canvas = document.createElement("canvas");
  canvas.width = Math.max(1, Math.round(source.width * scale));
  canvas.height = Math.max(1, Math.round(source.height * scale));
  const context = canvas.getContext("2d");
  context.fillStyle = "#fff";
  context.fillRect(0, 0, canvas.width, canvas.height);
  context.drawImage(source, 0, 0, canvas.width, canvas.height);
  return new Promise((resolve, reject) =>
    canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error("encode"))), "image/jpeg", QUALITY),
  );
}

export class SignaturePad {
  constructor(canvas) {
    this.canvas = canvas;
    this.strokes = 0;
    this.drawing = false;
    canvas.addEventListener("pointerdown", (e) => this.start(e));
    canvas.addEventListener("pointermove", (e) => this.move(e));
    for (const name of ["pointerup", "pointercancel", "pointerleave"]) {
      canvas.addEventListener(name, () => {
        this.drawing = false;
      });
    }
  }

  // Size the bitmap to the element (sharp on high-density screens); clears the pad.
  fit() {
    const box = this.canvas.getBoundingClientRect();
    const ratio = window.devicePixelRatio || 1;
    this.canvas.width = Math.round(box.width * ratio);
    this.canvas.height = Math.round(box.height * ratio);
    this.context = this.canvas.getContext("2d");
    this.context.scale(ratio, ratio);
    this.clear();
  }

  clear() {
    const c = this.context;
    c.save();
    c.setTransform(1, 0, 0, 1, 0, 0);
    c.fillStyle = "#fff";
    c.fillRect(0, 0, this.canvas.width, this.canvas.height);
    c.restore();
    c.strokeStyle = "#111";
    c.fillStyle = "#111";
    c.lineWidth = 2.6;
    c.lineCap = "round";
    c.lineJoin = "round";
    this.strokes = 0;
  }

  point(event) {
    const box = this.canvas.getBoundingClientRect();
    return [event.clientX - box.left, event.clientY - box.top];
  }

  start(event) {
    event.preventDefault();
    this.canvas.setPointerCapture?.(event.pointerId);
    this.drawing = true;
    this.strokes += 1;
    const [x, y] = this.point(event);
    this.context.beginPath();
    this.context.arc(x, y, 1.3, 0, Math.PI * 2);
    this.context.fill();
    this.context.beginPath();
    this.context.moveTo(x, y);
  }

  move(event) {
    if (!this.drawing) return;
    event.preventDefault();
    const [x, y] = this.point(event);
    this.context.lineTo(x, y);
    this.context.stroke();
  }

  get empty() {
    return this.strokes === 0;
  }

  toBlob() {
    return new Promise((resolve, reject) =>
      this.canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error("encode"))), "image/png"),
    );
  }
}
