"""One APIRouter per area: `ocr`, `jobs`, `web` (the page and health)."""
