// Injects the "Convert" button next to file inputs on the page.
const BUTTON_LABEL = 'Convert';

function createButton(input) {
  const button = document.createElement('button');
  button.textContent = BUTTON_LABEL;
  button.className = 'cmf-convert';
  button.addEventListener('click', () => {
    chrome.runtime.sendMessage({ type: 'open-converter', accept: input.accept });
  });
  return button;
}

function mountToolbar() {
  const toolbar = document.querySelector('#cmf-toolbar');
  for (const input of document.querySelectorAll('input[type=file]')) {
    toolbar.appendChild(createButton(input));
  }
}

mountToolbar();
