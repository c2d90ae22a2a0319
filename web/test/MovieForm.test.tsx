import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { MovieForm } from '../src/pages/movies/MovieForm';
import { renderWithQuery, stubFetch } from './render';

describe('MovieForm', () => {
  it('posts the movie and hands the saved one over', async () => {
    const saved = { id: 7, title: 'Alien', description: 'In space' };
    const calls = stubFetch({ status: 201, body: saved });
    const onSaved = vi.fn();
    renderWithQuery(<MovieForm onSaved={onSaved} />);
    await userEvent.type(screen.getByLabelText('Title'), 'Alien');
    await userEvent.type(screen.getByLabelText('Description'), 'In space');
    await userEvent.click(screen.getByRole('button', { name: 'Add movie' }));
    await waitFor(() => expect(onSaved).toHaveBeenCalledWith(saved));
    expect(calls).toEqual([
      expect.objectContaining({
        url: '/api/movies',
        method: 'POST',
        body: { title: 'Alien', description: 'In space' },
      }),
    ]);
    expect(screen.getByLabelText('Title')).toHaveValue('');
  });

  it('shows the API’s 400 next to the field its path names', async () => {
    stubFetch({
      status: 400,
      body: {
        error: 'Invalid request',
        details: [{ path: 'body.description', message: 'description must not contain NUL characters' }],
      },
    });
    const onSaved = vi.fn();
    renderWithQuery(<MovieForm onSaved={onSaved} />);
    await userEvent.type(screen.getByLabelText('Title'), 'Heat');
    await userEvent.click(screen.getByRole('button', { name: 'Add movie' }));
    const description = screen.getByLabelText('Description');
    await waitFor(() => expect(description).toHaveAccessibleDescription(/must not contain NUL characters/));
    expect(description).toHaveAttribute('aria-invalid', 'true');
    expect(screen.getByLabelText('Title')).not.toHaveAttribute('aria-invalid');
    expect(onSaved).not.toHaveBeenCalled();
  });

  it('checks the title with the shared schema before sending anything', async () => {
    const calls = stubFetch();
    renderWithQuery(<MovieForm onSaved={() => {}} />);
    await userEvent.type(screen.getByLabelText('Title'), '   ');
    await userEvent.click(screen.getByRole('button', { name: 'Add movie' }));
    expect(screen.getByLabelText('Title')).toHaveAccessibleDescription(/title must not be empty/);
    expect(calls).toHaveLength(0);
  });

  it('edits a movie with PUT on its id', async () => {
    const calls = stubFetch({ status: 200, body: { id: 3, title: 'Heat 2', description: '' } });
    const onSaved = vi.fn();
    renderWithQuery(<MovieForm movie={{ id: 3, title: 'Heat', description: '' }} onSaved={onSaved} />);
    await userEvent.type(screen.getByLabelText('Title'), ' 2');
    await userEvent.click(screen.getByRole('button', { name: 'Save changes' }));
    await waitFor(() => expect(onSaved).toHaveBeenCalled());
    expect(calls[0]).toMatchObject({ url: '/api/movies/3', method: 'PUT', body: { title: 'Heat 2', description: '' } });
  });
});
